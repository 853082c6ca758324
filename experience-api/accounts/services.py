"""Account flows: sign up, log in, log out (models-api owns users and authenticators)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from accounts.selectors import INVALID, authenticator_cache_key
from clients import models_api
from mpcommon.errors import INVALID_CREDENTIALS


def _session_body(issued: dict) -> dict:
    return {
        "authenticator": issued["token"],
        "expires_at": issued["expires_at"],
        "user": issued["user"],
    }


def sign_up(*, username: str, email: str, password: str, display_name: str = "") -> dict:
    """Create the user, then log them in; return ``{"authenticator", "expires_at", "user"}``.

    Raises ``ValidationFailed`` (per field, nothing created) or ``ModelsApiUnavailable``.
    If the user was created but the authenticator could not be issued, the error is
    raised all the same; the account exists and the user can log in.
    """
    models_api.get_client().create_user(
        username=username, email=email, password=password, display_name=display_name or None
    )
    return log_in(username=username, password=password)


def log_in(*, username: str, password: str) -> dict:
    """Issue an authenticator for valid credentials (``NotAuthenticated`` otherwise)."""
    try:
        issued = models_api.get_client().create_authenticator(username=username, password=password)
    except models_api.NotAuthenticated as exc:
        raise models_api.NotAuthenticated(
            "Invalid username or password.", code=INVALID_CREDENTIALS
        ) from exc
    return _session_body(issued)


def log_out(*, token: str) -> None:
    """Revoke the authenticator in models-api and forget its cached resolution."""
    models_api.get_client().revoke_authenticator(token)
    # set (not delete): a resolve in flight elsewhere uses cache.add and cannot undo it.
    cache.set(authenticator_cache_key(token), INVALID, timeout=settings.AUTH_CACHE_SECONDS)
