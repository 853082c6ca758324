"""The one place where errors become HTTP responses.

Every error body has the envelope of docs/internal-contracts.md:
``{"error": "<code>", "detail": "<message>", "fields": {"<field>": ["<msg>", ...]}}``
with ``fields`` only on 400.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core import errors

logger = logging.getLogger(__name__)

# (exception classes, HTTP status, error code); the first match wins.
ERROR_MAP: tuple[tuple[tuple[type[BaseException], ...], int, str], ...] = (
    ((errors.ValidationFailed, drf.ValidationError, drf.ParseError), 400, "validation_failed"),
    ((errors.InvalidCredentials,), 401, "invalid_credentials"),
    (
        (errors.NotAuthenticated, drf.NotAuthenticated, drf.AuthenticationFailed),
        401,
        "not_authenticated",
    ),
    ((errors.PermissionDenied, drf.PermissionDenied), 403, "permission_denied"),
    ((errors.NotFound, drf.NotFound, Http404), 404, "not_found"),
    ((drf.MethodNotAllowed,), 405, "method_not_allowed"),
    ((drf.NotAcceptable,), 406, "not_acceptable"),
    ((errors.PayloadTooLarge, RequestDataTooBig), 413, "payload_too_large"),
    ((drf.UnsupportedMediaType,), 415, "unsupported_media_type"),
    ((drf.Throttled,), 429, "rate_limited"),
    ((OperationalError, InterfaceError), 503, "database_unavailable"),
)

DEFAULT_DETAILS = {
    400: "Invalid input.",
    401: "Authentication required.",
    403: "Permission denied.",
    404: "Not found.",
    413: "Request body is too large.",
    503: "The database is unavailable.",
}


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field" or "field.sub": [messages]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_field_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list | tuple):
        flat = {}
        for item in detail:
            if isinstance(item, dict | list | tuple):
                for field, messages in flatten_field_errors(item, prefix).items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or "non_field_errors", []).append(str(item))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _classify(exc: BaseException) -> tuple[int, str] | None:
    for classes, status, code in ERROR_MAP:
        if isinstance(exc, classes):
            return status, code
    return None


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: typed exception -> status code + envelope."""
    classified = _classify(exc)
    if classified is None:
        return None  # a bug: Django's handler500 answers with a JSON 500 and logs it
    status, code = classified
    fields = None
    if isinstance(exc, errors.ServiceError):
        detail = exc.detail
        if isinstance(exc, errors.ValidationFailed):
            fields = exc.fields
    elif isinstance(exc, drf.ValidationError):
        detail = DEFAULT_DETAILS[400]
        fields = flatten_field_errors(exc.detail)
    elif isinstance(exc, drf.ParseError):
        detail = "Malformed JSON body."
        fields = {"body": [str(exc.detail)]}
    elif isinstance(exc, drf.APIException):
        detail = str(exc.detail)
    else:
        detail = DEFAULT_DETAILS.get(status, "Request failed.")
    if status == 503:
        logger.error("database unavailable", exc_info=exc)
    response = Response(error_body(code, detail, fields), status=status)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    if isinstance(exc, drf.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


def json_not_found(request, exception=None):
    """handler404 for paths outside the API (no route matched)."""
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def json_server_error(request):
    """handler500: a bug; Django has already logged the traceback."""
    return JsonResponse(error_body("internal_error", "Internal server error."), status=500)


def json_bad_request(request, exception=None):
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)
