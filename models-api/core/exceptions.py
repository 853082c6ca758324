"""The one place where errors become HTTP responses.

Every error body has the envelope of docs/internal-contracts.md:
``{"error": "<code>", "detail": "<message>", "fields": {"<field>": ["<msg>", ...]}}``
with ``fields`` only on 400.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core import errors
from mpcommon import errors as envelope
from mpcommon.api_parsers import PayloadTooLarge
from mpcommon.errors import error_body

logger = logging.getLogger(__name__)

# (exception classes, HTTP status, error code); the first match wins.
ERROR_MAP: tuple[tuple[tuple[type[BaseException], ...], int, str], ...] = (
    (
        (errors.ValidationFailed, drf.ValidationError, drf.ParseError),
        400,
        envelope.VALIDATION_FAILED,
    ),
    ((errors.InvalidCredentials,), 401, envelope.INVALID_CREDENTIALS),
    (
        (errors.NotAuthenticated, drf.NotAuthenticated, drf.AuthenticationFailed),
        401,
        envelope.NOT_AUTHENTICATED,
    ),
    ((errors.PermissionDenied, drf.PermissionDenied), 403, envelope.PERMISSION_DENIED),
    ((errors.NotFound, drf.NotFound, Http404), 404, envelope.NOT_FOUND),
    ((errors.Conflict,), 409, "conflict"),
    ((drf.MethodNotAllowed,), 405, envelope.METHOD_NOT_ALLOWED),
    ((drf.NotAcceptable,), 406, envelope.NOT_ACCEPTABLE),
    ((PayloadTooLarge, RequestDataTooBig), 413, envelope.PAYLOAD_TOO_LARGE),
    ((drf.UnsupportedMediaType,), 415, envelope.UNSUPPORTED_MEDIA_TYPE),
    ((drf.Throttled,), 429, envelope.RATE_LIMITED),
    ((OperationalError, InterfaceError), 503, envelope.DATABASE_UNAVAILABLE),
)

DEFAULT_DETAILS = {
    400: "Invalid input.",
    401: "Authentication required.",
    403: "Permission denied.",
    404: "Not found.",
    413: "Request body is too large.",
    503: "The database is unavailable.",
}


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
        fields = envelope.flatten_field_errors(exc.detail)
    elif isinstance(exc, drf.ParseError):
        detail = "Malformed JSON body."
        fields = {"body": [str(exc.detail)]}
    elif isinstance(exc, drf.APIException):
        detail = str(exc.detail)
    else:
        detail = DEFAULT_DETAILS.get(status, "Request failed.")
    if status == 503:
        logger.error("database unavailable", exc_info=exc)
    if isinstance(exc, errors.ServiceError) and getattr(exc, "code", None):
        code = exc.code  # a typed error may name a specific code (own_listing, order_state)
    response = Response(error_body(code, detail, fields), status=status)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    if isinstance(exc, drf.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait))
    return response


def json_not_found(request, exception=None):
    """handler404 for paths outside the API (no route matched)."""
    return JsonResponse(error_body(envelope.NOT_FOUND, "Not found."), status=404)


def json_server_error(request):
    """handler500: a bug; Django has already logged the traceback."""
    return JsonResponse(error_body(envelope.INTERNAL_ERROR, "Internal server error."), status=500)


def json_bad_request(request, exception=None):
    return JsonResponse(error_body(envelope.BAD_REQUEST, "Bad request."), status=400)
