"""Input validation and documented output shapes of the account endpoints."""

from rest_framework import serializers


class SignupInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
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
