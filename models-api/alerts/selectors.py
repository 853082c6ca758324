"""Reads of saved searches."""

from __future__ import annotations

from alerts.models import SavedSearch


def saved_searches_of(user) -> list[SavedSearch]:
    """The user's saved searches, newest first: one query (at most MAX_SAVED_SEARCHES)."""
    return list(SavedSearch.objects.filter(user_id=user.id).order_by("-created_at", "-id"))
