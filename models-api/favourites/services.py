"""Writes of favourites, and the price drops emailed to the users who favourited a listing.

The count on the listing row moves only when a favourite row was really inserted or
deleted (``INSERT ... ON CONFLICT DO NOTHING`` / ``DELETE`` report it), in the same
transaction: PUT and DELETE are idempotent and the count stays the number of rows, even
under concurrent requests (a concurrent duplicate insert waits on the unique index,
then inserts nothing).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import Listing, ListingStatus
from core.errors import NotFound, PermissionDenied
from favourites.models import Favourite, PriceDrop
from mpcommon import account_rules
from mpcommon.api_fields import MAX_BIGINT
from mpcommon.listing_rules import price_string
from notifications.services import queue_email

logger = logging.getLogger(__name__)


def _listing_seller(listing_id: int) -> int:
    """The seller id of the listing; NotFound if there is no such listing."""
    if not 0 < listing_id <= MAX_BIGINT:
        raise NotFound("Listing not found.")
    seller_id = Listing.objects.filter(pk=listing_id).values_list("seller_id", flat=True).first()
    if seller_id is None:
        raise NotFound("Listing not found.")
    return seller_id


def _move_count(cursor, listing_id: int, delta: int) -> int:
    cursor.execute(
        "UPDATE catalogue_listing SET favourite_count = favourite_count + %s WHERE id = %s "
        "RETURNING favourite_count",
        [delta, listing_id],
    )
    row = cursor.fetchone()
    if row is None:  # deleted meanwhile: the favourite row went with it (CASCADE)
        raise NotFound("Listing not found.")
    return row[0]


def _current_count(cursor, listing_id: int) -> int:
    cursor.execute("SELECT favourite_count FROM catalogue_listing WHERE id = %s", [listing_id])
    row = cursor.fetchone()
    if row is None:
        raise NotFound("Listing not found.")
    return row[0]


def add_favourite(*, user, listing_id: int) -> int:
    """Favourite the listing for ``user`` (nothing happens if it already is); returns
    the listing's favourite count.

    NotFound for an unknown listing; PermissionDenied ``own_listing`` for the seller
    (like ordering one's own listing: one's own favourites would only inflate the count).
    """
    if _listing_seller(listing_id) == user.id:
        raise PermissionDenied("You cannot favourite your own listing.", code="own_listing")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO favourites_favourite (user_id, listing_id, created_at) "
            "SELECT %s, id, now() FROM catalogue_listing WHERE id = %s "
            "ON CONFLICT (user_id, listing_id) DO NOTHING RETURNING id",
            [user.id, listing_id],
        )
        inserted = cursor.fetchone() is not None
        count = (
            _move_count(cursor, listing_id, +1) if inserted else _current_count(cursor, listing_id)
        )
    if inserted:
        logger.info("favourite added", extra={"user_id": user.id, "listing_id": listing_id})
    return count


def remove_favourite(*, user, listing_id: int) -> int:
    """Remove the listing from ``user``'s favourites (nothing happens if it is not one);
    returns the listing's favourite count. NotFound for an unknown listing."""
    _listing_seller(listing_id)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM favourites_favourite WHERE user_id = %s AND listing_id = %s",
            [user.id, listing_id],
        )
        deleted = cursor.rowcount > 0
        count = (
            _move_count(cursor, listing_id, -1) if deleted else _current_count(cursor, listing_id)
        )
    if deleted:
        logger.info("favourite removed", extra={"user_id": user.id, "listing_id": listing_id})
    return count


def money(value: Decimal) -> str:
    """``Decimal("1234.5")`` -> ``"$1,234.50"`` (as the web pages show prices)."""
    return f"${Decimal(price_string(value)):,.2f}"


# Fans emailed per transaction of a fan-out.
FAN_OUT_BATCH_SIZE = 500


def record_price_drop(*, listing: Listing, old_price: Decimal) -> PriceDrop | None:
    """Record that ``listing``'s price went down from ``old_price``; its fans are emailed
    after the commit, by the mailer's task queue (:func:`fan_out_price_drop`).

    Call inside the transaction of the price change, after its version bump: one row
    however many fans (their emails used to be written here, one by one, inside the
    seller's PATCH). Does nothing unless the listing is active and the price really went
    down; the same listing version twice records nothing more. Returns the new row.
    """
    new_price = Decimal(str(listing.price))  # a caller may have set a string
    if listing.status != ListingStatus.ACTIVE or not new_price < Decimal(str(old_price)):
        return None
    drop, created = PriceDrop.objects.get_or_create(
        listing_id=listing.id,
        version=listing.version,
        defaults={"old_price": old_price, "new_price": new_price},
    )
    if not created:
        return None
    transaction.on_commit(lambda: _enqueue_fan_out(drop.id))
    return drop


def _enqueue_fan_out(drop_id: int) -> None:
    """Hand the drop to the mailer's queue; never raises (the periodic sweep catches up)."""
    from favourites.tasks import fan_out_price_drop_task

    try:
        fan_out_price_drop_task(drop_id)
    except Exception as exc:  # Redis down or refusing: the row waits for the sweep
        logger.warning(
            "price drop not enqueued, the sweep will fan it out",
            extra={"price_drop_id": drop_id, "error": str(exc)[:200]},
        )


def fan_out_price_drop(drop_id: int, *, batch_size: int = FAN_OUT_BATCH_SIZE) -> int:
    """Email every active user who favourited the drop's listing (never its seller),
    ``batch_size`` fans per transaction; returns how many emails were written.

    Nothing is written for a drop already fanned out, nor when the listing is no longer
    active at the dropped price (sold, withdrawn, or repriced since: a further drop is
    a drop of its own). Safe to run twice, even at once: the dedupe key (listing,
    version, user) writes each email once; the hourly throttle of queue_email applies
    per address.
    """
    drop = (
        PriceDrop.objects.select_related("listing")
        .filter(pk=drop_id, fanned_out_at__isnull=True)
        .first()
    )
    if drop is None:
        return 0
    listing, written = drop.listing, 0
    if listing.status == ListingStatus.ACTIVE and Decimal(str(listing.price)) == drop.new_price:
        after = 0
        while True:
            with transaction.atomic():
                fans = list(
                    Favourite.objects.filter(
                        listing_id=listing.id, user__is_active=True, id__gt=after
                    )
                    .exclude(user_id=listing.seller_id)
                    .select_related("user")
                    .order_by("id")[:batch_size]
                )
                for favourite in fans:
                    written += _email_fan(favourite.user, listing, drop) is not None
            if len(fans) < batch_size:
                break
            after = fans[-1].id
    PriceDrop.objects.filter(pk=drop.pk, fanned_out_at__isnull=True).update(
        fanned_out_at=timezone.now()
    )
    if written:
        logger.info("price drop emails", extra={"listing_id": listing.id, "emails": written})
    return written


def _email_fan(fan, listing: Listing, drop: PriceDrop):
    link = f"{settings.PUBLIC_URL}/listings/{listing.id}/"
    return queue_email(
        to=fan.email,
        kind=account_rules.EMAIL_PRICE_DROP,
        dedupe_key=f"price-drop:{listing.id}:{drop.version}:{fan.id}",
        subject=f"Price drop: {listing.title} is now {money(drop.new_price)}",
        body=(
            f"Hello {fan.public_name},\n\n"
            f'"{listing.title}", one of your favourites, is now {money(drop.new_price)} '
            f"(it was {money(drop.old_price)}).\n\n"
            f"See it: {link}\n\n"
            "You get this email because the listing is in your favourites; remove it "
            f"there to stop them: {settings.PUBLIC_URL}/favourites/\n"
        ),
    )


# Drops older than this without a fan-out are taken by the sweep (their task was lost).
SWEEP_AFTER_SECONDS = 60
SWEEP_BATCH_SIZE = 100


def sweep_price_drops() -> int:
    """Fan out the drops whose task never ran (Redis down, queue evicted); how many."""
    due = list(
        PriceDrop.objects.filter(
            fanned_out_at__isnull=True,
            created_at__lte=timezone.now() - timedelta(seconds=SWEEP_AFTER_SECONDS),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    for drop_id in due:
        fan_out_price_drop(drop_id)
    return len(due)
