"""Typed errors raised by services and selectors.

They carry no HTTP knowledge; :mod:`core.exceptions` maps each to a status code and
an error code of the envelope in docs/internal-contracts.md, in one place.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base class of every error a client is expected to see."""

    default_detail = "Request failed."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class ValidationFailed(ServiceError):
    """Input is invalid; ``fields`` maps field names to lists of messages."""

    default_detail = "Invalid input."

    def __init__(self, fields: dict[str, list[str]], detail: str | None = None):
        self.fields = fields
        super().__init__(detail)


class NotAuthenticated(ServiceError):
    """The acting user's authenticator is missing, unknown or expired."""

    default_detail = "A valid authenticator is required."


class InvalidCredentials(ServiceError):
    """Username and password do not match an active user."""

    default_detail = "Invalid username or password."


class PermissionDenied(ServiceError):
    """The acting user is authenticated but may not do this; ``code`` names why (e.g.
    ``own_listing``), default ``permission_denied``."""

    default_detail = "You do not have permission to perform this action."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.code = code
        super().__init__(detail)


class Conflict(ServiceError):
    """The request is valid but impossible in the resource's current state (409);
    ``code`` is the envelope's error code (``order_state``, ``listing_not_active``, ...)."""

    default_detail = "The request conflicts with the current state."

    def __init__(self, detail: str | None = None, *, code: str = "conflict"):
        self.code = code
        super().__init__(detail)


class NotFound(ServiceError):
    """The addressed resource does not exist."""

    default_detail = "Not found."
