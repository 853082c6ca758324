"""Writes of saved searches, their matches, and the alert and digest emails.

Every change of a saved search records ``saved_search.upserted`` / ``.deleted`` (topic
``saved-searches``) in the outbox in the same transaction: the batch alerts worker keeps
its percolator index from them.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from alerts.models import AlertMatch, SavedSearch
from alerts.serializers import MESSAGE_EMPTY_SEARCH, saved_search_document, search_url
from catalogue.models import Category, Listing, ListingStatus
from core.errors import NotFound, PermissionDenied, ValidationFailed
from mpcommon import account_rules, events, listing_rules
from mpcommon.api_fields import MAX_BIGINT
from notifications.services import queue_email
from outbox.services import record_event

logger = logging.getLogger(__name__)

MANAGE_PATH = "/saved-searches/"
DIGEST_MAX_LISTINGS = 20  # listed in one digest email; the search link shows the rest


# ---------------------------------------------------------------- saved searches


def _record(search: SavedSearch, event_type: str) -> None:
    record_event(
        topic=events.TOPIC_SAVED_SEARCHES,
        key=search.id,
        event=events.saved_search_event(
            event_type,
            saved_search_id=search.id,
            user_id=search.user_id,
            saved_search=(
                saved_search_document(search)
                if event_type == events.SAVED_SEARCH_UPSERTED
                else None
            ),
        ),
    )


def search_filters(
    *,
    category: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    condition: str | None = None,
) -> dict:
    """The stored ``filters``: only the ones set, prices as price strings. An unknown
    category raises ValidationFailed."""
    filters: dict[str, str] = {}
    if category is not None:
        if not Category.objects.filter(slug=category).exists():
            raise ValidationFailed({"category": [f"Unknown category {category!r}."]})
        filters["category"] = category
    if min_price is not None:
        filters["min_price"] = listing_rules.price_string(min_price)
    if max_price is not None:
        filters["max_price"] = listing_rules.price_string(max_price)
    if condition is not None:
        filters["condition"] = condition
    return filters


def _same_search(user_id: int, query: str, filters: dict) -> SavedSearch | None:
    return (
        SavedSearch.objects.alias(query_lower=Lower("query"))
        .filter(user_id=user_id, query_lower=query.lower(), filters=filters)
        .first()
    )


def create_saved_search(
    *,
    user: User,
    query: str,
    filters: dict,
    frequency: str = account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY,
) -> tuple[SavedSearch, bool]:
    """Save a search for ``user``; returns (search, created).

    The same search again (words ignoring case, equal filters) returns the existing one
    as it is. More than MAX_SAVED_SEARCHES raises ValidationFailed (``non_field_errors``):
    the count is taken under a lock on the user's row, so concurrent saves cannot pass it.
    ``filters`` come from :func:`search_filters`.
    """
    if not query and not filters:
        raise ValidationFailed({"query": [MESSAGE_EMPTY_SEARCH]})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        existing = _same_search(user.id, query, filters)
        if existing is not None:
            return existing, False
        if SavedSearch.objects.filter(user_id=user.id).count() >= account_rules.MAX_SAVED_SEARCHES:
            raise ValidationFailed(
                {"non_field_errors": [account_rules.MESSAGE_TOO_MANY_SAVED_SEARCHES]}
            )
        try:
            with transaction.atomic():  # the unique index is the last word
                search = SavedSearch.objects.create(
                    user=user, query=query, filters=filters, frequency=frequency
                )
        except IntegrityError:
            existing = _same_search(user.id, query, filters)
            if existing is None:
                raise
            return existing, False
        _record(search, events.SAVED_SEARCH_UPSERTED)
    logger.info("saved search created", extra={"saved_search_id": search.id, "user_id": user.id})
    return search, True


def _locked_search_of(search_id: int, actor: User) -> SavedSearch:
    if not 0 < search_id <= MAX_BIGINT:
        raise NotFound("Saved search not found.")
    search = SavedSearch.objects.select_for_update().filter(pk=search_id).first()
    if search is None:
        raise NotFound("Saved search not found.")
    if search.user_id != actor.id:
        raise PermissionDenied("Only its owner may change this saved search.")
    return search


UPDATABLE_FIELDS = ("paused", "frequency")


def update_saved_search(*, search_id: int, actor: User, changes: dict) -> SavedSearch:
    """Pause/resume it or change its frequency, as its owner (NotFound, PermissionDenied);
    records ``saved_search.upserted``."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    with transaction.atomic():
        search = _locked_search_of(search_id, actor)
        for field, value in changes.items():
            setattr(search, field, value)
        search.save(update_fields=list(changes))
        _record(search, events.SAVED_SEARCH_UPSERTED)
    logger.info(
        "saved search updated", extra={"saved_search_id": search.id, "fields": sorted(changes)}
    )
    return search


def delete_saved_search(*, search_id: int, actor: User) -> None:
    """Delete it (and its matches) as its owner; records ``saved_search.deleted``."""
    with transaction.atomic():
        search = _locked_search_of(search_id, actor)
        deleted = SavedSearch(pk=search.pk, user_id=search.user_id)
        search.delete()
        _record(deleted, events.SAVED_SEARCH_DELETED)
    logger.info("saved search deleted", extra={"saved_search_id": search_id})


# ---------------------------------------------------------------- matches and emails


def describe(search: SavedSearch) -> str:
    """A short label of the search for email subjects: '"lamp" in furniture, ...'."""
    parts = [f'"{search.query}"'] if search.query else []
    filters = search.filters
    if "category" in filters:
        parts.append(f"in {filters['category']}")
    low, high = filters.get("min_price"), filters.get("max_price")
    if low and high:
        parts.append(f"{_money(low)} to {_money(high)}")
    elif low:
        parts.append(f"from {_money(low)}")
    elif high:
        parts.append(f"up to {_money(high)}")
    if "condition" in filters:
        label = listing_rules.CONDITION_LABELS.get(filters["condition"], filters["condition"])
        parts.append(label.lower())
    return ", ".join(parts)


def _money(value) -> str:
    return f"${Decimal(listing_rules.price_string(value)):,.2f}"


def _absolute(path: str) -> str:
    return f"{settings.PUBLIC_URL}{path}"


def _manage_hint() -> str:
    return (
        "You get this email because you saved this search. Pause it, make it a daily "
        f"digest or delete it here: {_absolute(MANAGE_PATH)}\n"
    )


def _alert_email(search: SavedSearch, listing: Listing) -> dict:
    user = search.user
    return {
        "to": user.email,
        "kind": account_rules.EMAIL_SAVED_SEARCH_ALERT,
        "dedupe_key": f"alert:{search.id}:{listing.id}",
        "subject": f"New for {describe(search)}: {listing.title}",
        "body": (
            f"Hello {user.public_name},\n\n"
            f"A new listing matches your saved search {describe(search)}:\n\n"
            f"{listing.title} - {_money(listing.price)}\n"
            f"{_absolute(f'/listings/{listing.id}/')}\n\n"
            f"Everything this search finds: {_absolute(search_url(search))}\n\n" + _manage_hint()
        ),
    }


def _insert_match(cursor, search_id: int, listing_id: int, *, emailed: bool) -> int | None:
    """The new match's id, or None when this (search, listing) was matched before."""
    cursor.execute(
        "INSERT INTO alerts_alertmatch (saved_search_id, listing_id, created_at, emailed) "
        "VALUES (%s, %s, now(), %s) "
        "ON CONFLICT (saved_search_id, listing_id) DO NOTHING RETURNING id",
        [search_id, listing_id, emailed],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def record_matches(*, listing_id: int, saved_search_ids: list[int]) -> tuple[int, int]:
    """The alerts worker found ``listing_id`` matching these saved searches; returns
    (instant emails written, matches queued for the daily digest).

    Skipped: a listing that is gone or not active (nothing at all), missing or paused
    searches, searches of inactive users and of the listing's own seller, and (search,
    listing) pairs matched before, so a redelivered report changes nothing. An instant
    alert the hourly throttle stops is skipped too (its match is recorded as dealt with).
    """
    listing = Listing.objects.filter(pk=listing_id).first()
    if listing is None or listing.status != ListingStatus.ACTIVE:
        return 0, 0
    searches = (
        SavedSearch.objects.filter(pk__in=saved_search_ids, paused=False, user__is_active=True)
        .exclude(user_id=listing.seller_id)
        .select_related("user")
        .order_by("id")
    )
    emailed = queued = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for search in searches:
            instant = search.frequency == "instant"
            if _insert_match(cursor, search.id, listing.id, emailed=instant) is None:
                continue
            if not instant:
                queued += 1
            elif queue_email(**_alert_email(search, listing)) is not None:
                emailed += 1
    logger.info(
        "saved search matches",
        extra={"listing_id": listing_id, "emailed": emailed, "queued_for_digest": queued},
    )
    return emailed, queued


def _digest_email(search: SavedSearch, listings: list[Listing], day: str) -> dict:
    user = search.user
    shown = listings[:DIGEST_MAX_LISTINGS]
    lines = [
        f"- {listing.title} - {_money(listing.price)}\n  {_absolute(f'/listings/{listing.id}/')}"
        for listing in shown
    ]
    more = len(listings) - len(shown)
    count = f"{len(listings)} new listing" + ("s" if len(listings) != 1 else "")
    return {
        "to": user.email,
        "kind": account_rules.EMAIL_SAVED_SEARCH_DIGEST,
        "dedupe_key": f"digest:{search.id}:{day}",
        "subject": f"{count} for {describe(search)}",
        "body": (
            f"Hello {user.public_name},\n\n"
            f"Since the last digest, {count} matched your saved search {describe(search)}:\n\n"
            + "\n".join(lines)
            + (f"\n... and {more} more." if more else "")
            + f"\n\nEverything this search finds: {_absolute(search_url(search))}\n\n"
            + _manage_hint()
        ),
    }


def _send_digest(search_id: int, now: datetime) -> bool:
    with transaction.atomic():
        search = (
            SavedSearch.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("user")
            .filter(pk=search_id, paused=False, user__is_active=True)
            .first()
        )
        if search is None:  # paused or deleted since, or another run has it
            return False
        pending = list(
            AlertMatch.objects.filter(saved_search_id=search.id, emailed=False)
            .select_related("listing")
            .order_by("created_at", "id")
        )
        # Listings sold, withdrawn or deleted since they matched are not worth an email.
        listings = [m.listing for m in pending if m.listing.status == ListingStatus.ACTIVE]
        if listings:
            day = now.date().isoformat()
            if queue_email(**_digest_email(search, listings, day)) is None:
                return False  # today's digest went already: these wait for tomorrow's
            search.last_digest_at = now
            search.save(update_fields=["last_digest_at"])
        AlertMatch.objects.filter(pk__in=[m.pk for m in pending]).update(emailed=True)
        return bool(listings)


def send_daily_digests(*, now: datetime | None = None) -> int:
    """One digest email per saved search with pending matches (one per search and day,
    the dedupe key says so); returns how many were written.

    Pending matches come from ``daily`` searches (instant ones are dealt with as they
    arrive), including those made while a search was daily and since switched to
    instant. Paused searches keep theirs until resumed. Each search is its own
    transaction, locked with SKIP LOCKED, so two runs at once write each digest once.
    """
    now = now or timezone.now()
    search_ids = list(
        SavedSearch.objects.filter(matches__emailed=False, paused=False, user__is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )
    written = sum(_send_digest(search_id, now) for search_id in search_ids)
    logger.info("daily digests", extra={"searches": len(search_ids), "emails": written})
    return written
