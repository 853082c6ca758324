"""Reads about users: who owns an authenticator (cached briefly in Redis).

A resolution is cached under a hash of its token for at most ``AUTH_CACHE_SECONDS``
counted from the moment it was asked of models-api. Two ways end it sooner:

- logout writes the "revoked" marker ``INVALID`` over the token's own entry
  (accounts.services.log_out);
- a change that models-api made to a user's authenticators or profile (password
  change: the others revoked; reset: all revoked; profile edit: new name) writes the
  user's *stale mark* (:func:`forget_resolutions_of_user`), the time of the change.
  Every cached resolution of that user asked before it counts as absent: the next
  request resolves its token again with models-api, which answers 401 for a revoked one
  (then cached as ``INVALID``) or the user as it now is. So a revoked authenticator
  stops working here at once, not after the cache's lifetime. The mark lives as long as
  any resolution it could overrule (``AUTH_CACHE_SECONDS``); it costs one more Redis
  read per request served from the cache.

The times compared are the resolving and the marking process's clocks (one machine, or
NTP-synchronised ones); a resolution asked before the change but cached after it
(a request racing the change) is older than the mark, so it is overruled too. If Redis
cannot take the mark, cached resolutions end within their ``AUTH_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable, Iterable
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
# A user id -> the cache keys a caller wants read along with the resolution.
KeysOf = Callable[[int], Iterable[str]]


def authenticator_cache_key(token: str) -> str:
    # Never store the token itself: a Redis dump must not hand out sessions. ("v2": the
    # entry is {"user", "resolved_at"}; a worker of the previous release reads "auth:".)
    return "auth:v2:" + hashlib.sha256(token.encode()).hexdigest()


def stale_mark_key(user_id: int) -> str:
    return f"auth-stale:{int(user_id)}"


def forget_resolutions_of_user(user_id: int) -> None:
    """Overrule every cached resolution of ``user_id``'s authenticators made until now
    (see the module docstring): call it after models-api changed them or the user."""
    cache.set(stale_mark_key(user_id), time.time(), timeout=settings.AUTH_CACHE_SECONDS + 1)


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


def _cached_user(key: str, keys_of: KeysOf | None) -> tuple[dict | None, dict]:
    """The cached user of a token's entry (None when there is none or it is overruled by
    its user's stale mark: the entry is then dropped), and the values at
    ``keys_of(user id)``, read in the same round trip as the stale mark."""
    cached = cache.get(key)
    if cached == INVALID:
        raise models_api.NotAuthenticated("Invalid or expired authenticator.")
    if not isinstance(cached, dict):
        return None, {}
    user = cached["user"]
    mark_key = stale_mark_key(user["id"])
    also = list(keys_of(int(user["id"]))) if keys_of else []
    found = cache.get_many([mark_key, *also]) if also else {mark_key: cache.get(mark_key)}
    marked_at = found.pop(mark_key, None)
    if marked_at is not None and cached["resolved_at"] <= float(marked_at):
        # delete, then resolve and cache.add: a logout's INVALID written meanwhile wins.
        cache.delete(key)
        return None, {}
    return user, found


def user_for_authenticator(token: str) -> ApiUser:
    """Resolve ``token`` to its user.

    Raises ``models_api.NotAuthenticated`` for an unknown, expired or revoked token and
    ``models_api.ModelsApiUnavailable`` when models-api cannot tell.
    """
    return user_and_keys_for_authenticator(token)[0]


def user_and_keys_for_authenticator(
    token: str, *, keys_of: KeysOf | None = None
) -> tuple[ApiUser, dict]:
    """``user_for_authenticator``, and the values cached at ``keys_of(user id)`` (a dict
    of the keys found; absent: nothing there), read with the resolution's stale mark:
    a page that needs per-user keys saves their round trip."""
    if not TOKEN_FORMAT.match(token):
        raise models_api.NotAuthenticated("Invalid authenticator.")
    key = authenticator_cache_key(token)
    cached, found = _cached_user(key, keys_of)
    if cached is not None:
        return ApiUser.from_models_api(cached, token), found
    asked_at = time.time()  # before the call: a change made while it runs overrules it
    try:
        resolved = models_api.get_client().resolve_authenticator(token)
    except models_api.NotAuthenticated:
        cache.add(key, INVALID, timeout=NEGATIVE_CACHE_SECONDS)
        raise models_api.NotAuthenticated("Invalid or expired authenticator.") from None
    # Trusted AUTH_CACHE_SECONDS from the question (so a stale mark that lives as long
    # outlives it), never past the authenticator's expiry.
    ttl = settings.AUTH_CACHE_SECONDS - (time.time() - asked_at)
    remaining = _seconds_until(resolved.get("expires_at"))
    if remaining is not None:
        ttl = min(ttl, remaining)
    ttl = math.floor(ttl)
    if ttl > 0:
        # add, not set: a logout that raced with this resolve wrote INVALID and wins.
        cache.add(key, {"user": resolved["user"], "resolved_at": asked_at}, timeout=ttl)
    user = ApiUser.from_models_api(resolved["user"], token)
    also = list(keys_of(user.id)) if keys_of else []
    return user, (cache.get_many(also) if also else {})
