"""Cache invalidation driven by listing events (topic ``listings``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from caching import cache as page_cache
from mpcommon.events import InvalidEvent, decode

logger = logging.getLogger(__name__)


def listing_ids_to_invalidate(topic: str, raw_values: list[bytes | None]) -> set[int]:
    """The listing ids named by a batch of raw messages; poison messages are logged."""
    ids: set[int] = set()
    for raw in raw_values:
        try:
            event = decode(topic, raw)
        except InvalidEvent as exc:
            logger.warning("ignoring invalid listing event", extra={"error": str(exc)})
            continue
        ids.add(int(event["listing_id"]))
    return ids


def invalidate_listings(listing_ids: set[int]) -> None:
    """Drop the detail pages of ``listing_ids`` and the home page (once per batch).

    Cached searches are dropped by :class:`SearchInvalidation`, once the change can be
    searched.
    """
    if not listing_ids:
        return
    page_cache.invalidate(*(page_cache.listing_namespace(i) for i in listing_ids), page_cache.HOME)


class SearchInvalidation:
    """Drops every cached search ``delay`` seconds after a batch of listing events.

    Search results come from the engine, which the indexer updates from the same events
    as the invalidator reads, about a second later (the engine's refresh): dropping the
    searches on arrival would only let them be cached again without the change. Dropped
    after the indexing delay instead, a change shows up ~``delay`` after its event (the
    TTL bounds it when indexing is slower still). Under a steady stream of events it
    fires every ``delay`` seconds, not per batch, and always at least ``delay`` after
    the latest batch: the rate at which writes empty the search cache is bounded. The
    invalidator runs one per configured delay (``SEARCH_CACHE_INVALIDATION_DELAYS``).
    """

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic):
        self.delay = delay
        self._clock = clock
        self._due_at: float | None = None
        self._latest_batch_at: float | None = None

    def batch_seen(self) -> None:
        """Record a batch of listing events that just arrived."""
        now = self._clock()
        self._latest_batch_at = now
        if self._due_at is None:
            self._due_at = now + self.delay

    def seconds_until_due(self) -> float | None:
        """How long until the next invalidation is due (None: nothing pending)."""
        if self._due_at is None:
            return None
        return max(0.0, self._due_at - self._clock())

    def run_if_due(self) -> bool:
        """Invalidate cached searches if it is time; True when it did."""
        if self._due_at is None or self._clock() < self._due_at:
            return False
        page_cache.invalidate(page_cache.SEARCH)
        follow_up = self._latest_batch_at + self.delay
        # A batch that arrived after this one was scheduled gets its own, later run.
        self._due_at = follow_up if follow_up > self._due_at else None
        return True
