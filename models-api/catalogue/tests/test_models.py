"""Database-level invariants: they hold even for writes that bypass the API."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from catalogue.models import Category, Listing


@pytest.mark.django_db
class CategoryTest:
    def test_seeded_set_has_at_least_eight_categories_with_slugs(self):
        slugs = list(Category.objects.values_list("slug", flat=True))
        assert len(slugs) >= 8
        assert {"electronics", "furniture", "books", "clothing"} <= set(slugs)


@pytest.mark.django_db
class ListingConstraintTest:
    @pytest.mark.parametrize(
        "fields",
        [
            {"price": "-0.01"},
            {"price": "1000000.01"},
            {"status": "lost"},
            {"condition": "broken"},
            {"title": ""},
            {"version": 0},
        ],
    )
    def test_invalid_rows_rejected_by_database(self, make_listing, fields):
        listing = make_listing()
        with pytest.raises(IntegrityError), transaction.atomic():
            Listing.objects.filter(pk=listing.pk).update(**fields)

    def test_view_count_cannot_go_negative(self, make_listing):
        listing = make_listing()
        with pytest.raises(IntegrityError), transaction.atomic():
            Listing.objects.filter(pk=listing.pk).update(view_count=-1)
