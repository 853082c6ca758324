"""Page caching in Redis: generations for invalidation, stale-while-revalidate for stampedes.

Keys
    Every cached page lives under ``<namespace>:g<generation>`` (plus ``:<variant>``
    for namespaces holding many pages, e.g. one per normalised search). Invalidating a
    namespace writes a new generation, so a recomputation that started before the
    change can only fill the old, unreachable key: no race can resurrect stale data,
    and every variant of the namespace goes at once.
    Namespaces: ``home``, ``listing:<id>``, ``categories``, ``search`` (variants).

Stampede protection (one strategy: stale-while-revalidate behind a short lock)
    An entry is ``{"value": ..., "fresh_until": <epoch seconds>}`` stored for its fresh
    TTL plus a stale window (``CACHE_STALE_SECONDS`` unless the caller says otherwise).
    - fresh entry: served.
    - stale entry: the first worker to win ``cache.add(lock)`` recomputes; everyone
      else serves the stale copy immediately. If the recomputation fails (models-api
      down), the stale copy is served too: a short outage does not take the page down.
    - no entry (cold or just invalidated): the lock winner computes; the others poll
      for up to ``CACHE_LOCK_WAIT_SECONDS`` (or the caller's wait) and take its result,
      or compute themselves if the lock disappeared without a result (winner failed, its
      value was not cacheable, or Redis is down).
Redis down (``IGNORE_EXCEPTIONS``): every read misses, no lock is ever seen, pages are
computed uncached; the site keeps working.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

GENERATION_TTL_SECONDS = 7 * 24 * 3600
POLL_INTERVAL_SECONDS = 0.02

HOME = "home"
CATEGORIES = "categories"
SEARCH = "search"


def listing_namespace(listing_id: int) -> str:
    return f"listing:{int(listing_id)}"


def _generation_key(namespace: str) -> str:
    return f"gen:{namespace}"


def current_key(namespace: str, variant: str | None = None) -> str:
    """The key of the namespace's current generation (of one ``variant`` of it)."""
    generation = cache.get(_generation_key(namespace)) or 0
    key = f"{namespace}:g{generation}"
    return key if variant is None else f"{key}:{variant}"


def invalidate(*namespaces: str) -> None:
    """Make the cached pages of ``namespaces`` unreachable (a new generation each)."""
    # time_ns is unique enough across workers and needs no read-modify-write.
    generation = time.time_ns()
    cache.set_many(
        {_generation_key(ns): generation for ns in namespaces}, timeout=GENERATION_TTL_SECONDS
    )


def invalidate_listing(listing_id: int) -> None:
    """A listing changed: drop its detail page and the home page.

    Searches are not dropped here: they change only once the indexer has indexed the
    change, which the event-driven invalidator waits for (caching/invalidation.py).
    """
    invalidate(listing_namespace(listing_id), HOME)


def get_or_compute(
    namespace: str,
    compute: Callable[[], tuple[Any, bool]],
    *,
    fresh_seconds: float,
    variant: str | None = None,
    stale_seconds: float | None = None,
    lock_wait_seconds: float | None = None,
) -> Any:
    """Return the cached value of ``namespace`` (``variant``) or compute it (see module
    docstring).

    ``compute`` returns ``(value, cacheable)``; a degraded value (e.g. a detail page
    whose recommendations failed) is returned but not stored. Exceptions from
    ``compute`` propagate (and are never stored) unless a stale copy can be served.
    ``stale_seconds`` and ``lock_wait_seconds`` default to ``CACHE_STALE_SECONDS`` and
    ``CACHE_LOCK_WAIT_SECONDS``.
    """
    if stale_seconds is None:
        stale_seconds = settings.CACHE_STALE_SECONDS
    if lock_wait_seconds is None:
        lock_wait_seconds = settings.CACHE_LOCK_WAIT_SECONDS
    key = current_key(namespace, variant)
    lock_key = f"lock:{key}"
    entry = cache.get(key)
    now = time.time()

    if entry is not None and entry["fresh_until"] > now:
        return entry["value"]

    if entry is not None:
        # Stale: exactly one worker refreshes, the others serve the stale copy.
        if not cache.add(lock_key, 1, timeout=settings.CACHE_LOCK_SECONDS):
            return entry["value"]
        try:
            return _compute_and_store(key, compute, fresh_seconds, stale_seconds)
        except Exception:
            logger.warning(
                "recomputation failed, serving stale copy", extra={"cache_key": key}, exc_info=True
            )
            return entry["value"]
        finally:
            cache.delete(lock_key)

    acquired = cache.add(lock_key, 1, timeout=settings.CACHE_LOCK_SECONDS)
    if acquired is None:
        # django-redis answers None (not False) when Redis is unreachable: no one can
        # hold the lock, so waiting would only add latency.
        value, _ = compute()
        return value
    if acquired:
        try:
            return _compute_and_store(key, compute, fresh_seconds, stale_seconds)
        finally:
            cache.delete(lock_key)

    # Someone else is computing this cold key: wait briefly for their result.
    deadline = time.monotonic() + lock_wait_seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_SECONDS)
        found = cache.get_many([key, lock_key])
        if key in found:
            return found[key]["value"]
        if lock_key not in found:
            break  # the winner gave up: compute (and store) ourselves
    return _compute_and_store(key, compute, fresh_seconds, stale_seconds)


def _compute_and_store(
    key: str,
    compute: Callable[[], tuple[Any, bool]],
    fresh_seconds: float,
    stale_seconds: float,
) -> Any:
    value, cacheable = compute()
    if cacheable:
        entry = {"value": value, "fresh_until": time.time() + fresh_seconds}
        cache.set(key, entry, timeout=fresh_seconds + stale_seconds)
    return value
