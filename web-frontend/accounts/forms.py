"""Sign-up and log-in forms; their rules mirror models-api's User model."""

from __future__ import annotations

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from mpcommon.account_rules import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH

# models-api: username letters/digits/@.+-_ (UnicodeUsernameValidator), unique ignoring
# case (checked there); lengths from mpcommon.account_rules.
PASSWORD_MIN_LENGTH = 8


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
    password1 = forms.CharField(
        label="Password",
        min_length=PASSWORD_MIN_LENGTH,
        strip=False,
        help_text=f"At least {PASSWORD_MIN_LENGTH} characters, not entirely numeric.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password1(self):
        password = self.cleaned_data["password1"]
        if password.isdigit():
            raise forms.ValidationError("This password is entirely numeric.")
        return password

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
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
