"""OpenAPI details: the error envelope, the Bearer scheme and canonical (slash-less) paths."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers


class ErrorOutput(serializers.Serializer):
    """The error envelope of every endpoint (mpcommon.errors, config/errors.py)."""

    error = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An authenticator from /api/v1/auth/signup or /api/v1/auth/login.",
        }


def canonical_paths(endpoints, **kwargs):
    """Document ``/api/v1/home``, not the ``/api/v1/home/`` alias also accepted."""
    return [
        (path.rstrip("/") or "/", regex, method, callback)
        for path, regex, method, callback in endpoints
    ]
