"""OpenAPI documentation helpers: the error envelope and the two headers."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorOut = inline_serializer(
    name="Error",
    fields={
        "error": serializers.CharField(
            help_text="validation_failed | invalid_credentials | not_authenticated | "
            "permission_denied | not_found | payload_too_large | database_unavailable"
        ),
        "detail": serializers.CharField(help_text="Human-readable message."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Only on 400: messages per input field.",
        ),
    },
)

_DESCRIPTIONS = {
    400: "Invalid input or malformed JSON (`validation_failed`, with `fields`).",
    401: "Missing/wrong service token, or missing/unknown/expired authenticator.",
    403: "Valid authenticator, but not the owner (`permission_denied`).",
    404: "Unknown id (`not_found`).",
    409: "Not possible in the current state (`order_state`, `listing_not_active`, ...).",
    413: "Request body over the size limit (`payload_too_large`).",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses to merge into an ``extend_schema(responses=...)`` dict."""
    codes = set(statuses) | {401}
    return {code: OpenApiResponse(ErrorOut, description=_DESCRIPTIONS[code]) for code in codes}


AUTHENTICATOR_PARAMETER = OpenApiParameter(
    name="X-Authenticator",
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description="The acting user's authenticator token.",
)


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.ServiceTokenAuthentication"
    name = "ServiceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Service-Token",
            "description": "Shared secret of the marketplace services (SERVICE_TOKEN).",
        }
