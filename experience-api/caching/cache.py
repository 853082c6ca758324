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
      With ``refresh_in_background`` the winner serves the stale copy as well and a
      small per-process thread pool recomputes (no request waits for a refresh; when
      the pool is full the refresh is left to a later request). For such callers a
      key just invalidated counts as stale, not missing, while the previous
      generation's copy lives (``gen-previous:<namespace>``): an invalidation does not
      send every popular page to the backend at once. A refreshed value that may not
      be stored replaces the stale copy (which is deleted).
    - no entry (cold or just invalidated): the lock winner computes; the others poll
      for up to ``CACHE_LOCK_WAIT_SECONDS`` (or the caller's wait) and take its result:
      the stored entry or, for a value that may not be stored (``cacheable`` false), a
      hand-off kept a few seconds under the lock holder's token, which only requests
      that waited for that very computation read. They compute themselves if the lock
      disappeared without a result (winner failed, or Redis is down).
Redis down (``IGNORE_EXCEPTIONS``): every read misses, no lock is ever seen, pages are
computed uncached; the site keeps working.
"""

from __future__ import annotations

import contextvars
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import redis.exceptions
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

GENERATION_TTL_SECONDS = 7 * 24 * 3600
POLL_INTERVAL_SECONDS = 0.02
# Long enough for every waiter (polling every POLL_INTERVAL_SECONDS) to pick it up.
HANDOFF_SECONDS = 3
REFRESH_WORKERS = 2
REFRESH_QUEUE = 8

HOME = "home"
CATEGORIES = "categories"
SEARCH = "search"


def listing_namespace(listing_id: int) -> str:
    return f"listing:{int(listing_id)}"


def _generation_key(namespace: str) -> str:
    return f"gen:{namespace}"


def _previous_generation_key(namespace: str) -> str:
    return f"gen-previous:{namespace}"


def _entry_key(namespace: str, generation: Any, variant: str | None) -> str:
    key = f"{namespace}:g{generation}"
    return key if variant is None else f"{key}:{variant}"


def generation_key(namespace: str) -> str:
    """Where the namespace's current generation is kept: its value changes (or appears)
    whenever the namespace is invalidated. For callers keeping something derived from a
    cached page under the page's generation (read in one round trip with other keys)."""
    return _generation_key(namespace)


def current_key(namespace: str, variant: str | None = None) -> str:
    """The key of the namespace's current generation (of one ``variant`` of it)."""
    return _entry_key(namespace, cache.get(_generation_key(namespace)) or 0, variant)


def _current_and_previous_keys(namespace: str, variant: str | None) -> tuple[str, str | None]:
    """The entry keys of the current and (if any) the previous generation: one read."""
    current, previous = _generation_key(namespace), _previous_generation_key(namespace)
    found = cache.get_many([current, previous])
    previous_generation = found.get(previous)
    return (
        _entry_key(namespace, found.get(current) or 0, variant),
        None
        if previous_generation is None
        else _entry_key(namespace, previous_generation, variant),
    )


def invalidate(*namespaces: str) -> None:
    """Make the cached pages of ``namespaces`` unreachable (a new generation each).

    The generation replaced is remembered as the previous one: callers that refresh in
    the background serve its copy while they recompute (see ``get_or_compute``).
    """
    # time_ns is unique enough across workers; a race between two invalidations can
    # only lose the previous-generation pointer, i.e. a fallback copy.
    generation = time.time_ns()
    replaced = cache.get_many([_generation_key(ns) for ns in namespaces])
    values = {}
    for ns in namespaces:
        values[_generation_key(ns)] = generation
        values[_previous_generation_key(ns)] = replaced.get(_generation_key(ns)) or 0
    cache.set_many(values, timeout=GENERATION_TTL_SECONDS)


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
    refresh_in_background: bool = False,
) -> Any:
    """Return the cached value of ``namespace`` (``variant``) or compute it (see module
    docstring).

    ``compute`` returns ``(value, cacheable)``; a degraded value (e.g. a detail page
    whose recommendations failed) is returned but not stored. Exceptions from
    ``compute`` propagate (and are never stored) unless a stale copy can be served.
    ``stale_seconds`` and ``lock_wait_seconds`` default to ``CACHE_STALE_SECONDS`` and
    ``CACHE_LOCK_WAIT_SECONDS``.

    ``refresh_in_background`` (for values that are expensive to compute but may be a
    little late): a stale entry is served even to the worker that refreshes it, the
    refresh pool recomputes it; after an invalidation, the previous generation's copy
    (while it lives) is served the same way instead of a miss. A refreshed value that
    may not be stored is taken as the current answer: the copy that was served goes.
    """
    if stale_seconds is None:
        stale_seconds = settings.CACHE_STALE_SECONDS
    if lock_wait_seconds is None:
        lock_wait_seconds = settings.CACHE_LOCK_WAIT_SECONDS
    key, previous_key = _current_and_previous_keys(namespace, variant)
    lock_key = f"lock:{key}"
    entry = cache.get(key)
    now = time.time()

    if entry is not None and entry["fresh_until"] > now:
        return entry["value"]

    stale_key = key
    if entry is None and refresh_in_background and previous_key is not None:
        # Just invalidated: the previous generation's copy is this key's stale copy, so
        # an invalidation does not turn every popular page into a miss at once.
        entry, stale_key = cache.get(previous_key), previous_key

    if entry is not None:
        # Stale: exactly one worker refreshes, the others serve the stale copy.
        if not cache.add(lock_key, _token(), timeout=settings.CACHE_LOCK_SECONDS):
            return entry["value"]
        if refresh_in_background:
            _refresh_later(key, lock_key, compute, fresh_seconds, stale_seconds, stale_key)
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

    token = _token()
    # A winner may have stored the value (and let go of the lock) between our read and
    # our lock: the lock attempt also looks once more (and reads who holds the lock).
    acquired, entry, holder = _lock_and_look(lock_key, token, key)
    if acquired is None:
        # Redis is unreachable: no one can hold the lock, so waiting would only add
        # latency.
        value, _ = compute()
        return value
    if entry is not None and entry["fresh_until"] > time.time():
        if acquired:
            cache.delete(lock_key)
        return entry["value"]
    if acquired:
        unlocked = False
        try:
            value = _compute_and_store(
                key,
                compute,
                fresh_seconds,
                stale_seconds,
                handoff_key=_handoff_key(key, token),
                unlock_key=lock_key,
            )
            unlocked = True
            return value
        finally:
            if not unlocked:
                cache.delete(lock_key)

    # Someone else is computing this cold key (``holder``; None: it just finished, or
    # Redis failed): wait briefly for their result.
    deadline = time.monotonic() + lock_wait_seconds
    while time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_SECONDS)
        keys = [key, lock_key] if holder is None else [key, lock_key, _handoff_key(key, holder)]
        found = cache.get_many(keys)
        if key in found:
            return found[key]["value"]
        if holder is not None and keys[2] in found:
            return found[keys[2]]["value"]
        if lock_key not in found:
            break  # the winner gave up: compute (and store) ourselves
        holder = found[lock_key]  # a later winner may hold it now: wait for that one
    return _compute_and_store(key, compute, fresh_seconds, stale_seconds)


def _token() -> str:
    return uuid.uuid4().hex


def _handoff_key(key: str, token: Any) -> str:
    return f"handoff:{key}:{token}"


def _compute_and_store(
    key: str,
    compute: Callable[[], tuple[Any, bool]],
    fresh_seconds: float,
    stale_seconds: float,
    *,
    handoff_key: str | None = None,
    unlock_key: str | None = None,
) -> Any:
    """Compute, store (or hand off) and, with ``unlock_key``, release that lock in the
    same round trip as the write. If ``compute`` raises, nothing is written or released."""
    value, cacheable = compute()
    if cacheable:
        entry = {"value": value, "fresh_until": time.time() + fresh_seconds}
        _set_and_delete(key, entry, fresh_seconds + stale_seconds, unlock_key)
    elif handoff_key is not None:
        # Not for later requests: only for those that waited for this computation.
        _set_and_delete(handoff_key, {"value": value}, HANDOFF_SECONDS, unlock_key)
    elif unlock_key is not None:
        cache.delete(unlock_key)
    return value


# What django-redis's IGNORE_EXCEPTIONS ignores (its client's "main exceptions"): the
# pipelined calls below treat them the same way, as Redis being unreachable.
_REDIS_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ResponseError,
    socket.timeout,
)


def _redis():
    """django-redis's client when the cache is Redis (else None: the dummy cache)."""
    client = getattr(cache, "client", None)
    return client if hasattr(client, "get_client") else None


def _lock_and_look(lock_key: str, token: str, key: str) -> tuple[bool | None, Any, Any]:
    """``cache.add(lock_key, token)``, ``cache.get(key)`` and ``cache.get(lock_key)`` in
    one round trip: (acquired, entry, lock holder); acquired is None if Redis is down."""
    client = _redis()
    if client is None:
        acquired = cache.add(lock_key, token, timeout=settings.CACHE_LOCK_SECONDS)
        return acquired, cache.get(key), cache.get(lock_key)
    try:
        pipe = client.get_client(write=True).pipeline(transaction=False)
        pipe.set(
            client.make_key(lock_key),
            client.encode(token),
            nx=True,
            px=int(settings.CACHE_LOCK_SECONDS * 1000),
        )
        pipe.get(client.make_key(key))
        pipe.get(client.make_key(lock_key))
        added, raw_entry, raw_holder = pipe.execute()
    except _REDIS_ERRORS:
        logger.warning("cache lock: Redis unreachable", extra={"cache_key": key})
        return None, None, None
    entry = None if raw_entry is None else client.decode(raw_entry)
    holder = None if raw_holder is None else client.decode(raw_holder)
    return bool(added), entry, holder


def _set_and_delete(key: str, value: Any, timeout: float, delete_key: str | None) -> None:
    """``cache.set(key, value, timeout)`` then ``cache.delete(delete_key)``, one round trip."""
    client = _redis()
    if client is None or delete_key is None:
        cache.set(key, value, timeout=timeout)
        if delete_key is not None:
            cache.delete(delete_key)
        return
    try:
        pipe = client.get_client(write=True).pipeline(transaction=False)
        pipe.set(client.make_key(key), client.encode(value), px=int(timeout * 1000))
        pipe.delete(client.make_key(delete_key))
        pipe.execute()
    except _REDIS_ERRORS:
        logger.warning("cache write: Redis unreachable", extra={"cache_key": key})


_refresh_pool: ThreadPoolExecutor | None = None
_refresh_pool_lock = threading.Lock()
_refresh_slots = threading.BoundedSemaphore(REFRESH_QUEUE)
_pending_refreshes: set[Future] = set()


def _pool() -> ThreadPoolExecutor:
    global _refresh_pool
    if _refresh_pool is None:
        with _refresh_pool_lock:
            if _refresh_pool is None:
                _refresh_pool = ThreadPoolExecutor(
                    max_workers=REFRESH_WORKERS, thread_name_prefix="cache-refresh"
                )
    return _refresh_pool


def _refresh_later(
    key: str,
    lock_key: str,
    compute: Callable[[], tuple[Any, bool]],
    fresh_seconds: float,
    stale_seconds: float,
    stale_key: str,
) -> None:
    """Recompute ``key`` in the refresh pool; the lock is released when it is done.

    A value that may not be stored (say, a search that now finds nothing) deletes the
    stale copy at ``stale_key``: it must not be served any longer.
    """
    if not _refresh_slots.acquire(blocking=False):
        # Pool saturated (the backend is slow): keep serving stale, a later request retries.
        cache.delete(lock_key)
        return

    def refresh() -> None:
        try:
            value, cacheable = compute()
            if cacheable:
                entry = {"value": value, "fresh_until": time.time() + fresh_seconds}
                cache.set(key, entry, timeout=fresh_seconds + stale_seconds)
            else:
                cache.delete(stale_key)
        except Exception:
            logger.warning(
                "background refresh failed, stale copy kept",
                extra={"cache_key": key},
                exc_info=True,
            )
        finally:
            cache.delete(lock_key)
            _refresh_slots.release()

    context = contextvars.copy_context()  # keeps the request ID for the logs
    try:
        future = _pool().submit(context.run, refresh)
    except RuntimeError:  # interpreter shutting down
        cache.delete(lock_key)
        _refresh_slots.release()
        return
    _pending_refreshes.add(future)
    future.add_done_callback(_pending_refreshes.discard)


def wait_for_background_refreshes(timeout: float = 5.0) -> None:
    """Block until the refreshes started so far are done (tests, graceful shutdown)."""
    wait(list(_pending_refreshes), timeout=timeout)
