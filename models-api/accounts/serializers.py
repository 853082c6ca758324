"""Input validation and the wire representations of users and authenticators.

Representations are plain functions (fast, used on hot paths and in events); the
``*Out`` serializers exist to document the same shapes in the OpenAPI schema, and a
test keeps the two in step.
"""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Authenticator, User
from accounts.selectors import new_user_problems
from core.formatting import iso_utc
from mpcommon import account_rules
from mpcommon.account_rules import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    RESET_TOKEN_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)
from mpcommon.api_fields import AllErrorsSerializer, StrictCharField, StrictEmailField

PASSWORD_MAX_LENGTH = 1024  # hashing is deliberately slow: bound the work per request
TOKEN_MAX_LENGTH = 128


def user_representation(user: User, *, with_email: bool = False) -> dict:
    data = {
        "id": user.id,
        "username": user.username,
        "display_name": user.public_name,
        "bio": user.bio,
        "date_joined": iso_utc(user.date_joined),
    }
    if with_email:
        data["email"] = user.email
    return data


def authenticator_representation(authenticator: Authenticator) -> dict:
    return {
        "token": authenticator.token,
        "expires_at": iso_utc(authenticator.expires_at),
        "user": user_representation(authenticator.owner, with_email=True),
    }


def resolved_authenticator_representation(authenticator: Authenticator) -> dict:
    return {
        "user": user_representation(authenticator.owner, with_email=True),
        "expires_at": iso_utc(authenticator.expires_at),
    }


# ---------------------------------------------------------------- input


class UserCreateIn(AllErrorsSerializer):
    """Every problem of a sign-up in one 400: the fields' own rules, the username taken
    and the password rules together (no fixing one field only to meet the next rule)."""

    username = StrictCharField(
        max_length=USERNAME_MAX_LENGTH, validators=[account_rules.username_validator]
    )
    email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)
    password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    display_name = StrictCharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, required=False, allow_blank=True
    )

    def field_problems(self, values: dict) -> dict[str, list[str]]:
        return new_user_problems(**values)


class CredentialsIn(serializers.Serializer):
    username = StrictCharField(max_length=USERNAME_MAX_LENGTH)
    password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class TokenIn(serializers.Serializer):
    token = StrictCharField(max_length=TOKEN_MAX_LENGTH)


class NoUnknownFields:
    """A 400 per field the serializer does not know (a typo must not pass silently)."""

    def validate(self, attrs):
        if hasattr(self.initial_data, "keys"):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().validate(attrs)


class ProfileUpdateIn(NoUnknownFields, serializers.Serializer):
    """PATCH /users/<id>: any of the profile fields; at least one."""

    display_name = StrictCharField(
        max_length=DISPLAY_NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="Empty: shown as the username.",
    )
    bio = StrictCharField(max_length=BIO_MAX_LENGTH, required=False, allow_blank=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to change.")
        return attrs


class PasswordChangeIn(NoUnknownFields, serializers.Serializer):
    old_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    new_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class PasswordResetRequestIn(NoUnknownFields, serializers.Serializer):
    email = StrictEmailField(max_length=EMAIL_MAX_LENGTH)


class ResetTokenIn(NoUnknownFields, serializers.Serializer):
    token = StrictCharField(
        max_length=RESET_TOKEN_MAX_LENGTH,
        help_text="The public reset token from the emailed link: `<uidb64>.<token>`.",
    )


class PasswordResetConfirmIn(ResetTokenIn):
    new_password = StrictCharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


# ---------------------------------------------------------------- output (schema only)


class UserOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    date_joined = serializers.DateTimeField()


class UserWithEmailOut(UserOut):
    email = serializers.EmailField()


class AuthenticatorOut(serializers.Serializer):
    token = serializers.CharField(help_text="256-bit random token (URL-safe base64).")
    expires_at = serializers.DateTimeField()
    user = UserWithEmailOut()


class ResolvedAuthenticatorOut(serializers.Serializer):
    user = UserWithEmailOut()
    expires_at = serializers.DateTimeField()


class PasswordChangedOut(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="The user's other authenticators revoked.")


class ResetTokenCheckedOut(serializers.Serializer):
    username = serializers.CharField()


class PasswordResetDoneOut(serializers.Serializer):
    user_id = serializers.IntegerField()
    revoked = serializers.IntegerField(help_text="Every authenticator of the user, revoked.")
