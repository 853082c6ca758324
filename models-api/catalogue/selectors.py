"""Reads of categories, listings and recommendations.

Every list read is a fixed number of queries (seller and category are joined), and the
home page orderings match the composite indexes on Listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from catalogue.models import Category, Listing, Recommendation
from core.errors import NotFound
from mpcommon.api_fields import MAX_BIGINT

# ordering name -> ORDER BY; every one ends with id so pages are stable under ties.
ORDER_BY = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "most_viewed": ("-view_count", "-id"),
    "price_asc": ("price", "id"),
    "price_desc": ("-price", "-id"),
}


@dataclass(frozen=True)
class ListingFilters:
    seller: int | None = None
    category: str | None = None
    status: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    ids: list[int] | None = None


@dataclass(frozen=True)
class ListingPage:
    count: int
    page: int
    page_size: int
    listings: list[Listing]

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * self.page_size < self.count else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


def all_categories() -> list[Category]:
    return list(Category.objects.all())


def _listings() -> QuerySet[Listing]:
    # Photos: one more query per read however many listings (Photo orders by position).
    return Listing.objects.select_related("seller", "category").prefetch_related("photos")


def filtered_listings(filters: ListingFilters) -> QuerySet[Listing]:
    queryset = _listings()
    if filters.seller is not None:
        queryset = queryset.filter(seller_id=filters.seller)
    if filters.category is not None:
        queryset = queryset.filter(category__slug=filters.category)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    if filters.min_price is not None:
        queryset = queryset.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(price__lte=filters.max_price)
    if filters.ids is not None:
        queryset = queryset.filter(id__in=filters.ids)
    return queryset


def listing_page(
    filters: ListingFilters, *, ordering: str = "newest", page: int = 1, page_size: int = 20
) -> ListingPage:
    """One page of listings: three queries (COUNT, the joined page, its photos)."""
    queryset = filtered_listings(filters)
    count = queryset.count()
    offset = (page - 1) * page_size
    listings = list(queryset.order_by(*ORDER_BY[ordering])[offset : offset + page_size])
    return ListingPage(count=count, page=page, page_size=page_size, listings=listings)


def listing_by_id(listing_id: int) -> Listing:
    if not 0 < listing_id <= MAX_BIGINT:
        raise NotFound("Listing not found.")
    try:
        return _listings().get(pk=listing_id)
    except Listing.DoesNotExist as exc:
        raise NotFound("Listing not found.") from exc


@dataclass(frozen=True)
class ListingRecommendations:
    listing_id: int
    recommended: list[int]
    updated_at: datetime | None


def recommendations_for(listing_id: int) -> ListingRecommendations:
    """The stored recommendations of a listing, minus listings deleted since."""
    if not Listing.objects.filter(pk=listing_id).exists():
        raise NotFound("Listing not found.")
    stored = Recommendation.objects.filter(listing_id=listing_id).first()
    if stored is None or not stored.recommended_ids:
        return ListingRecommendations(listing_id, [], stored.updated_at if stored else None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM catalogue_listing WHERE id = ANY(%s::bigint[])",
            [stored.recommended_ids],
        )
        existing = {row[0] for row in cursor.fetchall()}
    recommended = [rid for rid in stored.recommended_ids if rid in existing]
    return ListingRecommendations(listing_id, recommended, stored.updated_at)
