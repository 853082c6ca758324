"""Saved searches and their matches (docs/accounts-and-notifications.md).

A saved search is what a user typed on /search/ (the words and the filters); the batch
alerts worker percolates new listings against them and reports matches, which become
AlertMatch rows: one per (saved search, listing), emailed at once (``instant``) or
collected for the daily digest (``daily``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from mpcommon import account_rules


class SavedSearch(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_searches",
        db_index=False,  # covered by the (user, -created_at, -id) index
    )
    # Trimmed, inner whitespace collapsed; may be empty when a filter is set.
    query = models.CharField(max_length=account_rules.SAVED_SEARCH_QUERY_MAX_LENGTH, blank=True)
    # Only the keys set, of account_rules.SAVED_SEARCH_FILTERS: category (a slug),
    # min_price / max_price (price strings, "10.00"), condition.
    filters = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(
        max_length=16,
        choices=account_rules.SAVED_SEARCH_FREQUENCIES,
        default=account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY,
    )
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=account_rules.SAVED_SEARCH_FREQUENCY_VALUES),
                name="alerts_savedsearch_frequency",
            ),
            models.CheckConstraint(
                condition=~(Q(query="") & Q(filters={})),
                name="alerts_savedsearch_not_empty",
            ),
            # The same search twice is one search (words ignoring case, equal filters).
            models.UniqueConstraint(
                F("user"), Lower("query"), F("filters"), name="alerts_savedsearch_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="alerts_search_user_newest"),
        ]

    def __str__(self) -> str:
        return f"SavedSearch {self.pk} of user {self.user_id}"


class AlertMatch(models.Model):
    """A listing found for a saved search. ``emailed``: dealt with (in an instant alert,
    skipped by the throttle, or in a digest); False means waiting for the digest."""

    saved_search = models.ForeignKey(
        SavedSearch,
        on_delete=models.CASCADE,
        related_name="matches",
        db_index=False,  # covered by the unique (saved_search, listing)
    )
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.CASCADE, related_name="alert_matches"
    )
    created_at = models.DateTimeField(default=timezone.now)
    emailed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["saved_search", "listing"], name="alerts_match_search_listing"
            ),
        ]
        indexes = [
            # The digest: pending matches, per search.
            models.Index(
                fields=["saved_search", "created_at"],
                condition=Q(emailed=False),
                name="alerts_match_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"AlertMatch search {self.saved_search_id} listing {self.listing_id}"
