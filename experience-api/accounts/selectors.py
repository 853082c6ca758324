"""Reads about users: who owns an authenticator (cached briefly in Redis)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from accounts.users import ApiUser
from clients import models_api

# Authenticators are 256-bit random tokens (hex or URL-safe base64); anything else is
# rejected without a network call.
TOKEN_FORMAT = re.compile(r"^[A-Za-z0-9_\-.~+/=]{16,256}$")
INVALID = "invalid"
NEGATIVE_CACHE_SECONDS = 10


def authenticator_cache_key(token: str) -> str:
    # Never store the token itself: a Redis dump must not hand out sessions.
    return "auth:" + hashlib.sha256(token.encode()).hexdigest()


def _seconds_until(expires_at: str | None) -> float | None:
    if not expires_at:
        return None
    try:
        moment = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - datetime.now(UTC)).total_seconds()


def user_for_authenticator(token: str) -> ApiUser:
    """Resolve ``token`` to its user.

    Raises ``models_api.NotAuthenticated`` for an unknown, expired or revoked token and
    ``models_api.ModelsApiUnavailable`` when models-api cannot tell.
    """
    if not TOKEN_FORMAT.match(token):
        raise models_api.NotAuthenticated("Invalid authenticator.")
    key = authenticator_cache_key(token)
    cached = cache.get(key)
    if cached == INVALID:
        raise models_api.NotAuthenticated("Invalid or expired authenticator.")
    if isinstance(cached, dict):
        return ApiUser.from_models_api(cached, token)
    try:
        resolved = models_api.get_client().resolve_authenticator(token)
    except models_api.NotAuthenticated:
        cache.add(key, INVALID, timeout=NEGATIVE_CACHE_SECONDS)
        raise models_api.NotAuthenticated("Invalid or expired authenticator.") from None
    ttl = settings.AUTH_CACHE_SECONDS
    remaining = _seconds_until(resolved.get("expires_at"))
    if remaining is not None:
        ttl = min(ttl, int(remaining))
    if ttl > 0:
        # add, not set: a logout that raced with this resolve wrote INVALID and wins.
        cache.add(key, resolved["user"], timeout=ttl)
    return ApiUser.from_models_api(resolved["user"], token)
