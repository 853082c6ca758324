"""Reads of favourites: a fixed number of queries whatever the page size."""

from __future__ import annotations

from catalogue.selectors import ListingPage
from favourites.models import Favourite


def favourite_page(user, *, page: int = 1, page_size: int = 20) -> ListingPage:
    """The listings ``user`` favourited, newest favourite first: three queries (COUNT,
    the page joined with listing, seller and category, the listings' photos)."""
    favourites = Favourite.objects.filter(user_id=user.id)
    count = favourites.count()
    offset = (page - 1) * page_size
    rows = (
        favourites.select_related("listing__seller", "listing__category")
        .prefetch_related("listing__photos")
        .order_by("-created_at", "-id")[offset : offset + page_size]
    )
    listings = [row.listing for row in rows]
    return ListingPage(count=count, page=page, page_size=page_size, listings=listings)


def favourited_ids(user, listing_ids: list[int]) -> list[int]:
    """The ids among ``listing_ids`` that ``user`` favourited, in the order given."""
    if not listing_ids:
        return []
    found = set(
        Favourite.objects.filter(user_id=user.id, listing_id__in=listing_ids).values_list(
            "listing_id", flat=True
        )
    )
    return [listing_id for listing_id in listing_ids if listing_id in found]
