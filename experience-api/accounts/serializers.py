"""Input validation and documented output shapes of the account endpoints.

Input is checked here first with the shared rules (mpcommon.account_rules and the
strict JSON types of mpcommon.api_fields: a number is not a username); models-api stays
the authority (it alone knows whether a username is taken) and its per-field 400s are
passed through unchanged.
"""

from rest_framework import serializers

from mpcommon import account_rules
from mpcommon.account_rules import DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH
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


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    date_joined = serializers.DateTimeField()


class OwnUserOutput(UserOutput):
    email = serializers.EmailField()


class MeOutput(OwnUserOutput):
    unread_messages = serializers.IntegerField(
        allow_null=True, help_text="Unread messages over all threads; null when unknown."
    )


class SessionOutput(serializers.Serializer):
    authenticator = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = OwnUserOutput()
