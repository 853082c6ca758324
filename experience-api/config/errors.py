"""The one place where failures become HTTP responses.

Every error body is ``{"error": "<code>", "detail": "<message>", "fields"?: {...}}``
(docs/internal-contracts.md, "Experience API shapes"); 404 and 500 outside DRF views
are JSON too (``handler404``/``handler500`` in config/urls.py).
"""

from __future__ import annotations

import logging

from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from clients import models_api
from clients.search import SearchUnavailable

logger = logging.getLogger(__name__)

# Typed exceptions of our clients -> (status, default error code).
CLIENT_ERRORS: dict[type[Exception], tuple[int, str]] = {
    models_api.ValidationFailed: (400, "validation_failed"),
    models_api.NotAuthenticated: (401, "not_authenticated"),
    models_api.PermissionDenied: (403, "permission_denied"),
    models_api.NotFound: (404, "not_found"),
    models_api.ModelsApiUnavailable: (503, "models_api_unavailable"),
    SearchUnavailable: (503, "search_unavailable"),
}

# DRF's own exceptions -> error code (the status comes from the exception).
DRF_CODES: dict[type[Exception], str] = {
    drf.ValidationError: "validation_failed",
    drf.ParseError: "malformed_request",
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "not_authenticated",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.Throttled: "rate_limited",
}


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"error": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def _flatten_fields(detail) -> dict:
    """DRF validation detail -> ``{"field": ["message", ...]}`` (strings only)."""
    if isinstance(detail, dict):
        fields = {}
        for name, messages in detail.items():
            if isinstance(messages, dict):
                for sub, sub_messages in _flatten_fields(messages).items():
                    fields[f"{name}.{sub}"] = sub_messages
            elif isinstance(messages, list):
                fields[name] = [str(m) for m in messages]
            else:
                fields[name] = [str(messages)]
        return fields
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def api_exception_handler(exc, context):
    """DRF ``EXCEPTION_HANDLER``: typed exceptions and DRF errors -> JSON envelope."""
    for exc_type, (status, default_code) in CLIENT_ERRORS.items():
        if isinstance(exc, exc_type):
            code = getattr(exc, "code", None) or default_code
            if status == 503:
                code = default_code  # never leak an upstream code on an outage
            fields = getattr(exc, "fields", None) if status == 400 else None
            headers = {"WWW-Authenticate": 'Bearer realm="api"'} if status == 401 else None
            return Response(error_body(code, exc.detail, fields), status=status, headers=headers)

    if isinstance(exc, Http404):
        exc = drf.NotFound()
    if isinstance(exc, drf.APIException):
        set_rollback()
        code = next((c for t, c in DRF_CODES.items() if isinstance(exc, t)), "error")
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, drf.ValidationError):
            body = error_body(code, "Invalid input.", _flatten_fields(exc.detail))
        else:
            body = error_body(code, str(exc.detail))
        return Response(body, status=exc.status_code, headers=headers)
    # Anything else is a bug: Django logs it and handler500 answers JSON.
    return None


def not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request):
    return JsonResponse(error_body("internal_error", "Internal server error."), status=500)


def bad_request(request, exception=None):
    return JsonResponse(error_body("malformed_request", "Bad request."), status=400)


def permission_denied(request, exception=None):
    return JsonResponse(error_body("permission_denied", "Forbidden."), status=403)
