"""Writes on listings (models-api performs them; we keep our caches honest)."""

from __future__ import annotations

from collections.abc import Sequence

from caching import cache as page_cache
from clients import models_api


def create_listing(*, authenticator: str, data: dict, photos: Sequence = ()) -> dict:
    """Create a listing for the authenticator's owner and return it (201 shape).

    ``photos`` (uploaded files, the first is the cover) go with it in one multipart
    call: models-api stores the listing and its photos together or not at all.
    models-api validates again and emits the ``listing.created`` event that feeds the
    search index. The home page is invalidated right away so the author sees the new
    listing on their next visit (the event-driven invalidator would do it a moment
    later as well).
    """
    listing = models_api.get_client().create_listing(
        authenticator=authenticator, data=data, photos=photos
    )
    page_cache.invalidate_listing(listing["id"])
    return listing


def update_listing(
    *, authenticator: str, listing_id: int, changes: dict, photos: Sequence = ()
) -> dict:
    """Change a listing as its seller (models-api checks the owner and the status rules:
    403, 409 ``listing_reserved``; ``photo_order`` and new ``photos`` against the
    listing's photos) and drop its cached pages at once."""
    listing = models_api.get_client().update_listing(
        authenticator=authenticator, listing_id=listing_id, changes=changes, photos=photos
    )
    page_cache.invalidate_listing(listing_id)
    return listing


def delete_listing(*, authenticator: str, listing_id: int) -> None:
    """Delete a listing as its seller; its cached pages go at once."""
    models_api.get_client().delete_listing(authenticator=authenticator, listing_id=listing_id)
    page_cache.invalidate_listing(listing_id)


def add_listing_photos(*, authenticator: str, listing_id: int, photos: Sequence) -> dict:
    """Append photos to a listing as its seller (at most MAX_PHOTOS_PER_LISTING in all,
    models-api counts) and drop its cached pages; returns the listing."""
    listing = models_api.get_client().add_listing_photos(
        authenticator=authenticator, listing_id=listing_id, photos=photos
    )
    page_cache.invalidate_listing(listing_id)
    return listing


def delete_listing_photo(*, authenticator: str, listing_id: int, photo_id: int) -> dict:
    """Remove one photo of a listing as its seller (the next one becomes the cover when
    it was the first) and drop its cached pages; returns the listing."""
    listing = models_api.get_client().delete_listing_photo(
        authenticator=authenticator, listing_id=listing_id, photo_id=photo_id
    )
    page_cache.invalidate_listing(listing_id)
    return listing
