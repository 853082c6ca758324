"""Favourites: a user keeps listings to come back to (docs/accounts-and-notifications.md).

One row per (user, listing); the listing's ``favourite_count`` column counts them and
changes in the same transaction as a row really inserted or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from mpcommon.listing_rules import PRICE_DECIMAL_PLACES, PRICE_MAX_DIGITS


class Favourite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="favourites",
        db_index=False,  # covered by the unique (user, listing) and the newest-first index
    )
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.CASCADE, related_name="favourites"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "listing"], name="favourites_user_listing"),
        ]
        indexes = [
            # GET /favourites: WHERE user_id = ? ORDER BY created_at DESC, id DESC.
            models.Index(fields=["user", "-created_at", "-id"], name="favourites_user_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"Favourite of user {self.user_id}: listing {self.listing_id}"


class PriceDrop(models.Model):
    """A lower price on an active listing, whose fans are still to be emailed.

    Written in the transaction of the price change (one row, however many fans), then
    fanned out by the mailer's task queue (``favourites.tasks``): one email per fan,
    in batches, each batch its own transaction. ``fanned_out_at`` is set when every fan
    has been handled; a row left without it (the task lost, Redis down) is picked up by
    the periodic sweep, and the emails' dedupe keys make a second fan-out write nothing
    twice.
    """

    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    version = models.PositiveIntegerField()
    old_price = models.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    new_price = models.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One drop per listing version: a retried or replayed change adds nothing.
            models.UniqueConstraint(
                fields=["listing", "version"], name="favourites_pricedrop_listing_version"
            ),
        ]
        indexes = [
            # The sweep: WHERE fanned_out_at IS NULL ORDER BY created_at.
            models.Index(
                fields=["created_at"],
                condition=models.Q(fanned_out_at__isnull=True),
                name="favourites_pricedrop_todo_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Price drop of listing {self.listing_id} v{self.version}"
