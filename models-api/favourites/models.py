"""Favourites: a user keeps listings to come back to (docs/accounts-and-notifications.md).

One row per (user, listing); the listing's ``favourite_count`` column counts them and
changes in the same transaction as a row really inserted or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


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
