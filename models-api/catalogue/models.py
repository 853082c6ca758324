"""Categories, listings, view-count batches and recommendations.

Invariants live in the database too (CHECK constraints), so no code path, bulk load
or manual fix can store a negative price or an unknown status.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mpcommon.listing_rules import (
    CATEGORY_SLUG_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_PRICE,
    MIN_PRICE,
    PRICE_DECIMAL_PLACES,
    PRICE_MAX_DIGITS,
    TITLE_MAX_LENGTH,
)


class Category(models.Model):
    """A fixed, seeded set (migration 0002); clients refer to categories by slug."""

    slug = models.SlugField(max_length=CATEGORY_SLUG_MAX_LENGTH, unique=True)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.slug


class ListingCondition(models.TextChoices):
    NEW = "new", "New"
    LIKE_NEW = "like_new", "Like new"
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    POOR = "poor", "Poor"


class ListingStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESERVED = "reserved", "Reserved"  # only by accepting an order (trade.services)
    SOLD = "sold", "Sold"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Listing(models.Model):
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="listings",
        db_index=False,  # covered by the (seller, -created_at, -id) index below
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    price = models.DecimalField(max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    condition = models.CharField(
        max_length=16, choices=ListingCondition.choices, default=ListingCondition.GOOD
    )
    status = models.CharField(
        max_length=16, choices=ListingStatus.choices, default=ListingStatus.ACTIVE
    )
    # Explicit defaults, not auto_now(_add): the seed command sets realistic past dates,
    # and services set updated_at themselves on every change.
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    view_count = models.PositiveBigIntegerField(default=0)
    # Starts at 1, +1 on every update and on delete; copied into events so consumers
    # can ignore stale or repeated ones.
    version = models.PositiveIntegerField(default=1)
    # Users who favourited it (favourites.Favourite rows), kept in the transaction that
    # adds or removes one. Not part of the listing document: no event, no version bump.
    # db_default too: code deployed before this column can still insert listings.
    favourite_count = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=MIN_PRICE) & Q(price__lte=MAX_PRICE),
                name="catalogue_listing_price_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ListingStatus.values), name="catalogue_listing_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(condition__in=ListingCondition.values),
                name="catalogue_listing_condition_valid",
            ),
            models.CheckConstraint(
                condition=~Q(title=""), name="catalogue_listing_title_not_empty"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="catalogue_listing_version"),
            models.CheckConstraint(
                condition=Q(favourite_count__gte=0), name="catalogue_listing_favourite_count"
            ),
        ]
        indexes = [
            # Home page "newest": WHERE status = 'active' ORDER BY created_at DESC, id DESC.
            models.Index(fields=["status", "-created_at", "-id"], name="listing_status_newest_idx"),
            # Home page "most popular": WHERE status = 'active' ORDER BY view_count DESC, id DESC.
            models.Index(
                fields=["status", "-view_count", "-id"], name="listing_status_popular_idx"
            ),
            models.Index(fields=["status", "price", "id"], name="listing_status_price_idx"),
            # A seller's listings, newest first (profile pages).
            models.Index(fields=["seller", "-created_at", "-id"], name="listing_seller_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"Listing {self.pk}: {self.title}"


class ViewBatch(models.Model):
    """A ``batch_id`` already applied by the bulk view-count endpoint (replay guard)."""

    batch_id = models.CharField(primary_key=True, max_length=200)
    applied_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"ViewBatch {self.batch_id}"


class Recommendation(models.Model):
    """For one listing, the ordered ids of listings people also viewed."""

    listing = models.OneToOneField(
        Listing, primary_key=True, on_delete=models.CASCADE, related_name="recommendation"
    )
    recommended_ids = ArrayField(models.BigIntegerField(), default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Recommendation for listing {self.listing_id}"
