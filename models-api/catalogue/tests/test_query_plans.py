"""The home page queries use their indexes (EXPLAIN on a realistically sized table).

The table gets 6,000 listings and fresh statistics (ANALYZE) so the planner chooses
freely: on a handful of rows a sequential scan is cheapest and the assertion would mean
nothing, and forcing ``enable_seqscan = off`` would only prove the index *can* be used.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalogue.models import Listing
from catalogue.selectors import ORDER_BY, ListingFilters, filtered_listings

ROWS = 6000


@pytest.fixture
def many_listings(user, other_user, category):
    rng = random.Random(7)
    now = timezone.now()
    Listing.objects.bulk_create(
        [
            Listing(
                seller=user if index % 2 else other_user,
                category=category,
                title=f"Listing {index}",
                description="Demo",
                price=rng.randint(1, 100_000) / 100,
                status=rng.choices(["active", "sold", "withdrawn"], [90, 7, 3])[0],
                view_count=rng.randint(0, 10_000),
                created_at=now - timedelta(minutes=index),
            )
            for index in range(ROWS)
        ],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalogue_listing")
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("ANALYZE catalogue_category")


def home_query(ordering: str):
    """Exactly what GET /listings?status=active&ordering=...&page_size=12 runs."""
    return filtered_listings(ListingFilters(status="active")).order_by(*ORDER_BY[ordering])[:12]


@pytest.mark.django_db
class HomePageQueryPlanTest:
    def test_newest_uses_status_created_index(self, many_listings):
        plan = home_query("newest").explain()
        assert "listing_status_newest_idx" in plan, plan
        assert "Seq Scan on catalogue_listing" not in plan, plan

    def test_most_popular_uses_status_views_index(self, many_listings):
        plan = home_query("most_viewed").explain()
        assert "listing_status_popular_idx" in plan, plan
        assert "Seq Scan on catalogue_listing" not in plan, plan

    def test_seller_profile_uses_seller_index(self, many_listings, user):
        plan = (
            filtered_listings(ListingFilters(seller=user.id))
            .order_by(*ORDER_BY["newest"])[:20]
            .explain()
        )
        assert "listing_seller_newest_idx" in plan, plan

    def test_home_queries_return_the_right_rows(self, many_listings):
        newest = list(home_query("newest"))
        assert all(item.status == "active" for item in newest)
        assert [item.created_at for item in newest] == sorted(
            (item.created_at for item in newest), reverse=True
        )
        popular = list(home_query("most_viewed"))
        top = Listing.objects.filter(status="active").order_by("-view_count", "-id")[:12]
        assert [item.id for item in popular] == [item.id for item in top]
