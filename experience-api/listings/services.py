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


def update_listing(*, authenticator: str, listing_id: int, changes: dict) -> dict:
    """Change a listing as its seller (models-api checks the owner and the status rules:
    403, 409 ``listing_reserved``) and drop its cached pages at once."""
    listing = models_api.get_client().update_listing(
        authenticator=authenticator, listing_id=listing_id, changes=changes
    )
    page_cache.invalidate_listing(listing_id)
    return listing


def delete_listing(*, authenticator: str, listing_id: int) -> None:
    """Delete a listing as its seller; its cached pages go at once."""
    models_api.get_client().delete_listing(authenticator=authenticator, listing_id=listing_id)
    page_cache.invalidate_listing(listing_id)
