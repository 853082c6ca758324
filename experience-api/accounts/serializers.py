"""Input validation and documented output shapes of the account endpoints."""

from rest_framework import serializers

from mpcommon.account_rules import DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH


class SignupInput(serializers.Serializer):
    username = serializers.CharField(max_length=USERNAME_MAX_LENGTH)
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    # Stricter than models-api's bound (1024): the public door limits hashing work sooner.
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    display_name = serializers.CharField(
        max_length=DISPLAY_NAME_MAX_LENGTH, required=False, allow_blank=True
    )


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=USERNAME_MAX_LENGTH)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    date_joined = serializers.DateTimeField()


class OwnUserOutput(UserOutput):
    email = serializers.EmailField()


class SessionOutput(serializers.Serializer):
    authenticator = serializers.CharField()
    expires_at = serializers.DateTimeField()
    user = OwnUserOutput()
