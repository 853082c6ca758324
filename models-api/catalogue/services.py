"""Writes of listings, view counts and recommendations.

Every listing change records its event in the outbox inside the same transaction:
the change and its event commit together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import Category, Listing, ListingCondition, Recommendation
from catalogue.serializers import listing_document
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mpcommon import events, listing_rules
from mpcommon.imaging import Reencoded
from outbox.services import record_listing_event

logger = logging.getLogger(__name__)

WRITABLE_FIELDS = ("title", "description", "price", "category", "condition", "status")


def _category_by_slug(slug: str) -> Category:
    try:
        return Category.objects.get(slug=slug)
    except Category.DoesNotExist as exc:
        raise ValidationFailed({"category": [f"Unknown category {slug!r}."]}) from exc


def create_listing(
    *,
    seller,
    title: str,
    description: str,
    price: Decimal,
    category: str,
    condition: str = ListingCondition.GOOD,
    images: Sequence[Reencoded] = (),
) -> Listing:
    """Create an active listing sold by ``seller`` and record ``listing.created``.

    ``category`` is a slug; an unknown one raises ValidationFailed (nothing written).
    ``images`` (already re-encoded, photos.uploads) become its photos in that order.
    """
    from photos.services import add_photos

    category_obj = _category_by_slug(category)
    now = timezone.now()
    with transaction.atomic():
        listing = Listing.objects.create(
            seller=seller,
            title=title,
            description=description,
            price=price,
            category=category_obj,
            condition=condition,
            created_at=now,
            updated_at=now,
        )
        add_photos(listing, list(images), first_position=0)
        record_listing_event(
            event_type=events.LISTING_CREATED,
            listing_id=listing.id,
            version=listing.version,
            document=listing_document(listing),
        )
    logger.info("listing created", extra={"listing_id": listing.id, "seller_id": seller.id})
    return listing


def locked_listing(listing_id: int) -> Listing | None:
    """The listing, row-locked for this transaction (every change of a listing and of its
    photos takes this lock first), or None."""
    return (
        Listing.objects.select_related("seller", "category")
        .select_for_update(of=("self",))
        .filter(pk=listing_id)
        .first()
    )


def record_listing_change(listing: Listing, fields: Sequence[str] = ()) -> None:
    """Save ``fields`` of the locked ``listing`` with a new version and record
    ``listing.updated`` with the document as it is now (photos included)."""
    listing.version += 1
    listing.updated_at = timezone.now()
    listing.save(update_fields=[*fields, "version", "updated_at"])
    getattr(listing, "_prefetched_objects_cache", {}).pop("photos", None)
    record_listing_event(
        event_type=events.LISTING_UPDATED,
        listing_id=listing.id,
        version=listing.version,
        document=listing_document(listing),
    )


def _locked_listing_of(listing_id: int, actor) -> Listing:
    """The listing, row-locked for this transaction; 404 if unknown, 403 if not the seller's."""
    listing = locked_listing(listing_id)
    if listing is None:
        raise NotFound("Listing not found.")
    if listing.seller_id != actor.id:
        raise PermissionDenied("Only the seller may change this listing.")
    return listing


def _refuse_if_reserved(listing: Listing) -> None:
    if listing.status == listing_rules.STATUS_RESERVED:
        raise Conflict(
            "This listing is reserved by an accepted order: complete or cancel the order first.",
            code="listing_reserved",
        )


def _decline_open_orders(listing_id: int) -> None:
    # Requested orders cannot be accepted any more once the listing is sold, withdrawn or
    # deleted: their buyers are told now (declined by the system), not left waiting.
    from trade.services import decline_open_orders

    decline_open_orders(listing_id=listing_id)


def update_listing(
    *,
    listing_id: int,
    actor,
    changes: dict,
    photo_order: list[int] | None = None,
    images: Sequence[Reencoded] = (),
    remove_photo_id: int | None = None,
) -> Listing:
    """Apply ``changes`` (any of WRITABLE_FIELDS) and gallery changes as the seller; bump
    the version.

    ``photo_order``: the ids of the photos to keep, in their new order (None: keep all);
    ``images`` (re-encoded) are appended; ``remove_photo_id`` is removed (NotFound if it
    is not one of its photos). Raises NotFound, PermissionDenied (not the
    seller), Conflict (a status change of a reserved listing) or ValidationFailed
    (unknown category, photo ids not of this listing, too many photos); nothing is
    written then. Records ``listing.updated`` with the new document. A lower price on an
    active listing also records a price drop: its fans are emailed after the commit.
    """
    from favourites.services import record_price_drop
    from photos.services import change_gallery

    unknown = set(changes) - set(WRITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    with transaction.atomic():
        listing = _locked_listing_of(listing_id, actor)
        old_price = listing.price
        if "status" in changes and changes["status"] != listing.status:
            _refuse_if_reserved(listing)
        for field, value in changes.items():
            if field == "category":
                listing.category = _category_by_slug(value)
            else:
                setattr(listing, field, value)
        change_gallery(
            listing, photo_order=photo_order, images=images, remove_photo_id=remove_photo_id
        )
        if changes.get("status") in ("sold", "withdrawn"):
            _decline_open_orders(listing.id)
        record_listing_change(listing, list(changes))
        if "price" in changes:
            record_price_drop(listing=listing, old_price=old_price)
    logger.info(
        "listing updated",
        extra={
            "listing_id": listing.id,
            "version": listing.version,
            "fields": sorted(changes),
            "photos_added": len(images),
        },
    )
    return listing


def delete_listing(*, listing_id: int, actor) -> None:
    """Delete the listing as its seller and record ``listing.deleted`` (version + 1);
    its photos go, and the media objects no other photo uses."""
    from photos import storage
    from photos.services import media_keys_of_listing

    with transaction.atomic():
        listing = _locked_listing_of(listing_id, actor)
        _refuse_if_reserved(listing)
        _decline_open_orders(listing_id)
        version = listing.version + 1
        media = media_keys_of_listing(listing_id)
        listing.delete()  # its photos with it (CASCADE)
        storage.purge_unused(media)
        record_listing_event(
            event_type=events.LISTING_DELETED, listing_id=listing_id, version=version, document=None
        )
    logger.info("listing deleted", extra={"listing_id": listing_id, "version": version})


def add_view_counts(*, increments: dict[int, int], batch_id: str | None = None) -> tuple[int, bool]:
    """Add view counts to many listings atomically; returns (listings updated, duplicate).

    One UPDATE for the whole batch (unknown ids are ignored). Rows are locked in id
    order first so concurrent batches cannot deadlock. A ``batch_id`` seen before is
    not applied again (the replay guard of an at-least-once consumer).
    """
    ids = sorted(increments)
    with transaction.atomic(), connection.cursor() as cursor:
        if batch_id is not None:
            cursor.execute(
                "INSERT INTO catalogue_viewbatch (batch_id, applied_at, updated) "
                "VALUES (%s, now(), 0) ON CONFLICT (batch_id) DO NOTHING",
                [batch_id],
            )
            if cursor.rowcount == 0:
                return 0, True
        updated = 0
        if ids:
            cursor.execute(
                "SELECT id FROM catalogue_listing WHERE id = ANY(%s::bigint[]) "
                "ORDER BY id FOR UPDATE",
                [ids],
            )
            cursor.execute(
                "UPDATE catalogue_listing AS l SET view_count = l.view_count + i.increment "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS i(id, increment) WHERE l.id = i.id",
                [ids, [increments[i] for i in ids]],
            )
            updated = cursor.rowcount
        if batch_id is not None:
            cursor.execute(
                "UPDATE catalogue_viewbatch SET updated = %s WHERE batch_id = %s",
                [updated, batch_id],
            )
    return updated, False


def replace_recommendations(*, recommendations: dict[int, list[int]]) -> int:
    """Replace the whole recommendation set atomically; returns listings stored.

    Readers see the old set until the new one commits. Entries for unknown listings are
    dropped; each list loses self-references and duplicates but keeps its order.
    """
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # One replacer at a time (readers are not blocked): two concurrent replacements
        # would otherwise both delete and then collide on insert.
        cursor.execute("LOCK TABLE catalogue_recommendation IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("DELETE FROM catalogue_recommendation")
        if not recommendations:
            return 0
        cursor.execute(
            "SELECT id FROM catalogue_listing WHERE id = ANY(%s::bigint[])",
            [list(recommendations)],
        )
        existing = {row[0] for row in cursor.fetchall()}
        rows = []
        for listing_id, recommended in recommendations.items():
            if listing_id not in existing:
                continue
            cleaned = [rid for rid in dict.fromkeys(recommended) if rid != listing_id]
            rows.append((listing_id, cleaned))
        Recommendation.objects.bulk_create(
            [
                Recommendation(listing_id=listing_id, recommended_ids=ids, updated_at=now)
                for listing_id, ids in rows
            ],
            batch_size=1000,
        )
    logger.info("recommendations replaced", extra={"listings": len(rows)})
    return len(rows)
