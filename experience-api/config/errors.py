"""The one place where failures become HTTP responses.

Every error body is ``{"error": "<code>", "detail": "<message>", "fields"?: {...}}``
(docs/internal-contracts.md, "Experience API shapes"); 404 and 500 outside DRF views
are JSON too (``handler404``/``handler500`` in config/urls.py).
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from clients import models_api
from clients.search import SearchUnavailable
from mpcommon import errors as envelope
from mpcommon.api_parsers import PayloadTooLarge
from mpcommon.errors import error_body

logger = logging.getLogger(__name__)

# Typed exceptions of our clients -> (status, default error code).
CLIENT_ERRORS: dict[type[Exception], tuple[int, str]] = {
    models_api.ValidationFailed: (400, envelope.VALIDATION_FAILED),
    models_api.NotAuthenticated: (401, envelope.NOT_AUTHENTICATED),
    models_api.PermissionDenied: (403, envelope.PERMISSION_DENIED),
    models_api.NotFound: (404, envelope.NOT_FOUND),
    models_api.Conflict: (409, "conflict"),
    models_api.ModelsApiUnavailable: (503, envelope.MODELS_API_UNAVAILABLE),
    SearchUnavailable: (503, envelope.SEARCH_UNAVAILABLE),
}

# DRF's own exceptions -> error code (the status comes from the exception).
DRF_CODES: dict[type[Exception], str] = {
    drf.ValidationError: envelope.VALIDATION_FAILED,
    drf.ParseError: envelope.MALFORMED_REQUEST,
    drf.NotAuthenticated: envelope.NOT_AUTHENTICATED,
    drf.AuthenticationFailed: envelope.NOT_AUTHENTICATED,
    drf.PermissionDenied: envelope.PERMISSION_DENIED,
    drf.NotFound: envelope.NOT_FOUND,
    drf.MethodNotAllowed: envelope.METHOD_NOT_ALLOWED,
    drf.NotAcceptable: envelope.NOT_ACCEPTABLE,
    PayloadTooLarge: envelope.PAYLOAD_TOO_LARGE,
    drf.UnsupportedMediaType: envelope.UNSUPPORTED_MEDIA_TYPE,
    drf.Throttled: envelope.RATE_LIMITED,
}


def api_exception_handler(exc, context):
    """DRF ``EXCEPTION_HANDLER``: typed exceptions and DRF errors -> JSON envelope."""
    for exc_type, (status, default_code) in CLIENT_ERRORS.items():
        if isinstance(exc, exc_type):
            code = getattr(exc, "code", None) or default_code
            if status == 503:
                code = default_code  # never leak an upstream code on an outage
            fields = getattr(exc, "fields", None) if status == 400 else None
            headers = {"WWW-Authenticate": 'Bearer realm="api"'} if status == 401 else None
            return Response(
                error_body(code, exc.detail, fields or None), status=status, headers=headers
            )

    if isinstance(exc, Http404):
        exc = drf.NotFound()
    if isinstance(exc, RequestDataTooBig):
        # Django refused the declared Content-Length before DRF read anything.
        exc = PayloadTooLarge()
    if isinstance(exc, drf.APIException):
        set_rollback()
        code = next((c for t, c in DRF_CODES.items() if isinstance(exc, t)), "error")
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        if isinstance(exc, drf.ValidationError):
            fields = envelope.flatten_field_errors(exc.detail)
            body = error_body(code, "Invalid input.", fields or None)
        else:
            body = error_body(code, str(exc.detail))
        return Response(body, status=exc.status_code, headers=headers)
    # Anything else is a bug: Django logs it and handler500 answers JSON.
    return None


def not_found(request, exception=None):
    return JsonResponse(error_body(envelope.NOT_FOUND, "Not found."), status=404)


def server_error(request):
    return JsonResponse(error_body(envelope.INTERNAL_ERROR, "Internal server error."), status=500)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):  # a body read outside a DRF view
        return JsonResponse(
            error_body(envelope.PAYLOAD_TOO_LARGE, PayloadTooLarge.default_detail), status=413
        )
    return JsonResponse(error_body(envelope.MALFORMED_REQUEST, "Bad request."), status=400)


def permission_denied(request, exception=None):
    return JsonResponse(error_body(envelope.PERMISSION_DENIED, "Forbidden."), status=403)
