"""Account forms: sign up, log in, profile, password change and reset.

Their rules mirror models-api's User model through ``mpcommon.account_rules``; the
password rules are the very validators models-api runs (``password_problems``), so a
password refused upstream is refused here first with the same message.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from mpcommon import account_rules
from mpcommon.account_rules import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_MAX_LENGTH,
)

# experience-api refuses longer passwords (its PASSWORD_MAX_LENGTH): hashing work bound.
PASSWORD_MAX_LENGTH = 128
PASSWORD_HELP = (
    f"At least {PASSWORD_MIN_LENGTH} characters, not entirely numeric, not a common "
    "password and not like your username or email address."
)
PASSWORDS_DIFFER = "The two passwords do not match."


def password_field(label: str, *, autocomplete: str, help_text: str = "") -> forms.CharField:
    """A password input that is never rendered back with its value (PasswordInput's
    default) and tells password managers what it is."""
    return forms.CharField(
        label=label,
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def check_new_password(
    form: forms.Form,
    first: str,
    second: str,
    *,
    username: str = "",
    email: str = "",
    display_name: str = "",
) -> None:
    """The shared password rules on ``first``, then that ``second`` repeats it."""
    password = form.cleaned_data.get(first)
    if password:
        for problem in account_rules.password_problems(
            password, username=username, email=email, display_name=display_name
        ):
            form.add_error(first, problem)
    again = form.cleaned_data.get(second)
    if password and again and password != again:
        form.add_error(second, PASSWORDS_DIFFER)


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=USERNAME_MAX_LENGTH,
        validators=[UnicodeUsernameValidator()],
        help_text=f"Up to {USERNAME_MAX_LENGTH} characters: letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = password_field("Password", autocomplete="new-password", help_text=PASSWORD_HELP)
    password2 = password_field("Password (again)", autocomplete="new-password")

    def clean(self):
        cleaned = super().clean()
        check_new_password(
            self,
            "password1",
            "password2",
            username=cleaned.get("username", ""),
            email=cleaned.get("email", ""),
        )
        return cleaned


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class AccountForm(forms.Form):
    """The public profile: what others see next to the user's listings."""

    display_name = forms.CharField(
        label="Display name",
        max_length=DISPLAY_NAME_MAX_LENGTH,
        required=False,
        help_text="Shown instead of your username; leave empty to show your username.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    # The length is checked in clean_bio, after line breaks are normalised.
    bio = forms.CharField(
        label="About you",
        required=False,
        help_text=f"Up to {BIO_MAX_LENGTH} characters, shown on your public profile.",
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": BIO_MAX_LENGTH}),
    )

    def clean_bio(self):
        # Browsers send line breaks as CRLF: count (and store) each as one character.
        bio = self.cleaned_data["bio"].replace("\r\n", "\n").replace("\r", "\n")
        if len(bio) > BIO_MAX_LENGTH:
            raise forms.ValidationError(
                f"Ensure this value has at most {BIO_MAX_LENGTH} characters (it has {len(bio)})."
            )
        return bio


class PasswordChangeForm(forms.Form):
    old_password = password_field("Current password", autocomplete="current-password")
    new_password1 = password_field(
        "New password", autocomplete="new-password", help_text=PASSWORD_HELP
    )
    new_password2 = password_field("New password (again)", autocomplete="new-password")

    def __init__(self, *args, user: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        check_new_password(
            self,
            "new_password1",
            "new_password2",
            username=self.user.get("username") or "",
            email=self.user.get("email") or "",
            display_name=self.user.get("display_name") or "",
        )
        return cleaned


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=EMAIL_MAX_LENGTH,
        help_text="The address of your account: we send a link to choose a new password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PasswordResetForm(forms.Form):
    new_password1 = password_field(
        "New password", autocomplete="new-password", help_text=PASSWORD_HELP
    )
    new_password2 = password_field("New password (again)", autocomplete="new-password")

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username

    def clean(self):
        cleaned = super().clean()
        check_new_password(self, "new_password1", "new_password2", username=self.username)
        return cleaned
