"""Request IDs: taken from HAProxy's ``X-Request-ID`` header, carried through every tier.

The ID lives in a context variable so log records and outgoing HTTP calls can read it
without threading it through every function signature.
"""

from __future__ import annotations

import contextvars
import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# Accept only sane IDs from the outside; anything else is replaced (log injection guard).
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The request ID of the request being served, or ``-`` outside a request."""
    return _current.get()


def set_request_id(value: str) -> contextvars.Token:
    return _current.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(candidate: str | None) -> str:
    """Return ``candidate`` if it is a well-formed ID, else a fresh one."""
    if candidate and _VALID_ID.match(candidate):
        return candidate
    return new_request_id()


class RequestIDMiddleware:
    """Django middleware: adopt or create the request ID and echo it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.META.get(_META_KEY))
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def outgoing_headers() -> dict[str, str]:
    """Headers to add to an inter-service HTTP call so the ID travels on."""
    request_id = current_request_id()
    return {REQUEST_ID_HEADER: request_id} if request_id != "-" else {}
