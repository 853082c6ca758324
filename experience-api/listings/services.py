"""Writes on listings (models-api performs them; we keep our caches honest)."""

from __future__ import annotations

from caching import cache as page_cache
from clients import models_api


def create_listing(*, authenticator: str, data: dict) -> dict:
    """Create a listing for the authenticator's owner and return it (201 shape).

    models-api validates again and emits the ``listing.created`` event that feeds the
    search index. The home page is invalidated right away so the author sees the new
    listing on their next visit (the event-driven invalidator would do it a moment
    later as well).
    """
    listing = models_api.get_client().create_listing(authenticator=authenticator, data=data)
    page_cache.invalidate_listing(listing["id"])
    return listing
