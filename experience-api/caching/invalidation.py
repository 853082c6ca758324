"""Cache invalidation driven by listing events (topic ``listings``)."""

from __future__ import annotations

import logging

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
    """Drop the detail pages of ``listing_ids`` and the home page (once per batch)."""
    if not listing_ids:
        return
    page_cache.invalidate(*(page_cache.listing_namespace(i) for i in listing_ids), page_cache.HOME)
