"""Input validation and documented output shapes of the account endpoints.

Input is checked here first with the shared rules (mpcommon.account_rules and the
strict JSON types of mpcommon.api_fields: a number is not a username); models-api stays
the authority (it alone knows whether a username is taken) and its per-field 400s are
passed through unchanged.
"""

import re

from rest_framework import serializers

from mpcommon import account_rules
from mpcommon.account_rules import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    MESSAGE_RESET_TOKEN_INVALID,
    RESET_TOKEN_MAX_LENGTH,
    RESET_TOKEN_SEPARATOR,
    USERNAME_MAX_LENGTH,
)
from mpcommon.api_fields import AllErrorsSerializer, StrictCharField, StrictEmailField

# Stricter than models-api's bound (1024): the public door limits hashing work sooner.
PASSWORD_MAX_LENGTH = 128


class SignupInput(AllErrorsSerializer):
    """Every problem we can see in one 400: each field's rules and the password rules
    (which also compare the password with the other fields) together."""

    username = StrictCharField(
        max_length=USERNAME_MAX_LENGTH, validators=[account_rules.username_validator]
    )
    email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )
    display_name = StrictCharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, required=False, allow_blank=True
    )

    def field_problems(self, values: dict) -> dict[str, list[str]]:
        if "password" not in values:
            return {}
        problems = account_rules.password_problems(
            values["password"],
            username=values.get("username", ""),
            email=values.get("email", ""),
            display_name=values.get("display_name", ""),
        )
        return {"password": problems} if problems else {}


class LoginInput(serializers.Serializer):
    # No username or password rules here: a login only checks the credentials.
    username = StrictCharField(max_length=USERNAME_MAX_LENGTH)
    password = StrictCharField(
        max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False, style={"input_type": "password"}
    )


def _password_field(**kwargs) -> StrictCharField:
    return StrictCharField(
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
        **kwargs,
    )


class PasswordChangeInput(AllErrorsSerializer):
    """The new password meets the password rules, compared with the user's own fields
    (``context["user"]``, the caller); whether the old one is right only models-api
    knows (its 400 on ``old_password`` passes through)."""

    old_password = _password_field()
    new_password = _password_field()

    def field_problems(self, values: dict) -> dict[str, list[str]]:
        if "new_password" not in values:
            return {}
        user = self.context["user"]
        problems = account_rules.password_problems(
            values["new_password"],
            username=user.username,
            email=user.email,
            display_name=user.display_name,
        )
        return {"new_password": problems} if problems else {}


class PasswordResetInput(serializers.Serializer):
    email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)


# "<uidb64>.<token>" (docs/accounts-and-notifications.md): URL-safe base64 of the user's
# id, then Django's "<timestamp>-<hash>"; one URL segment.
RESET_TOKEN_FORMAT = re.compile(
    rf"^[A-Za-z0-9_-]+{re.escape(RESET_TOKEN_SEPARATOR)}[A-Za-z0-9_-]+$"
)


class ResetTokenField(StrictCharField):
    """A password reset token as the link carries it. Whatever is wrong with its shape,
    the message is the one models-api gives an expired token: the user only followed a
    link."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The token of the reset link: <uidb64>.<token>.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > RESET_TOKEN_MAX_LENGTH:
            raise serializers.ValidationError(MESSAGE_RESET_TOKEN_INVALID)
        if not RESET_TOKEN_FORMAT.match(data):
            raise serializers.ValidationError(MESSAGE_RESET_TOKEN_INVALID)
        return data


class PasswordResetCheckInput(serializers.Serializer):
    token = ResetTokenField()


class PasswordResetConfirmInput(AllErrorsSerializer):
    """The new password meets the rules a password can be checked against without its
    user (length, common, numeric); models-api also compares it with the user's fields."""

    token = ResetTokenField()
    new_password = _password_field()

    def field_problems(self, values: dict) -> dict[str, list[str]]:
        if "new_password" not in values:
            return {}
        problems = account_rules.password_problems(values["new_password"])
        return {"new_password": problems} if problems else {}


class ProfileUpdateInput(serializers.Serializer):
    """PATCH /me: any of the profile fields, at least one; nothing else."""

    display_name = StrictCharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, required=False, allow_blank=True
    )
    bio = StrictCharField(
        max_length=BIO_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Plain text; escape it when rendering.",
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to change.")
        return attrs


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    date_joined = serializers.DateTimeField()


class OwnUserOutput(UserOutput):
    email = serializers.EmailField()


class MeOutput(OwnUserOutput):
    unread_messages = serializers.IntegerField(
        allow_null=True, help_text="Unread messages over all threads; null when unknown."
    )


class RevokedOutput(serializers.Serializer):
    revoked = serializers.IntegerField(
        help_text="How many of the user's other authenticators were revoked."
    )


class ResetSentOutput(serializers.Serializer):
    detail = serializers.CharField(help_text=account_rules.MESSAGE_RESET_SENT)


class ResetCheckOutput(serializers.Serializer):
    username = serializers.CharField(help_text="Whose password the link resets.")


class ResetConfirmOutput(serializers.Serializer):
    user_id = serializers.IntegerField()
    revoked = serializers.IntegerField(
        help_text="Every authenticator of the user was revoked: log in again."
    )


class SessionOutput(serializers.Serializer):
    authenticator = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = OwnUserOutput()
