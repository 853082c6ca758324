"""Writes of favourites, and the price-drop emails to the users who favourited a listing.

The count on the listing row moves only when a favourite row was really inserted or
deleted (``INSERT ... ON CONFLICT DO NOTHING`` / ``DELETE`` report it), in the same
transaction: PUT and DELETE are idempotent and the count stays the number of rows, even
under concurrent requests (a concurrent duplicate insert waits on the unique index,
then inserts nothing).
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from catalogue.models import Listing, ListingStatus
from core.errors import NotFound, PermissionDenied
from favourites.models import Favourite
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


def write_price_drop_emails(*, listing: Listing, old_price: Decimal) -> int:
    """One email to each active user who favourited ``listing`` (never its seller) that
    its price went down from ``old_price``; returns how many were written.

    Call inside the transaction of the price change, after its version bump: the dedupe
    key (listing, version, user) makes a retried or replayed change write nothing more.
    Does nothing unless the listing is active and the price really went down; the
    hourly throttle of queue_email applies per address.
    """
    new_price = Decimal(str(listing.price))  # a caller may have set a string
    if listing.status != ListingStatus.ACTIVE or not new_price < Decimal(str(old_price)):
        return 0
    link = f"{settings.PUBLIC_URL}/listings/{listing.id}/"
    fans = (
        Favourite.objects.filter(listing_id=listing.id, user__is_active=True)
        .exclude(user_id=listing.seller_id)
        .select_related("user")
        .order_by("id")
    )
    written = 0
    for favourite in fans:
        fan = favourite.user
        email = queue_email(
            to=fan.email,
            kind=account_rules.EMAIL_PRICE_DROP,
            dedupe_key=f"price-drop:{listing.id}:{listing.version}:{fan.id}",
            subject=f"Price drop: {listing.title} is now {money(new_price)}",
            body=(
                f"Hello {fan.public_name},\n\n"
                f'"{listing.title}", one of your favourites, is now {money(new_price)} '
                f"(it was {money(old_price)}).\n\n"
                f"See it: {link}\n\n"
                "You get this email because the listing is in your favourites; remove it "
                f"there to stop them: {settings.PUBLIC_URL}/favourites/\n"
            ),
        )
        written += email is not None
    if written:
        logger.info("price drop emails", extra={"listing_id": listing.id, "emails": written})
    return written
