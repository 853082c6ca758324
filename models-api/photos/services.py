"""Writes of listing photos, always inside the transaction that changes the listing
(catalogue.services holds the listing's row lock), and of their thumbnails.

Storing a photo records ``photo.uploaded`` (topic ``photos``) for the thumbnails worker;
the listing change itself records ``listing.updated``, so search documents and cached
pages see the gallery as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from core.errors import NotFound, ValidationFailed
from mpcommon import events, photo_rules
from mpcommon.imaging import Reencoded
from outbox.services import record_event
from photos import storage
from photos.models import Photo

logger = logging.getLogger(__name__)


def add_photos(listing, images: list[Reencoded], *, first_position: int) -> list[Photo]:
    """Store ``images`` as the listing's photos from ``first_position`` on; one
    ``photo.uploaded`` each."""
    photos = []
    for offset, image in enumerate(images):
        key = storage.put(image.data, content_type=image.content_type, extension=image.extension)
        photo = Photo.objects.create(
            listing=listing,
            position=first_position + offset,
            original_id=key,
            width=image.width,
            height=image.height,
        )
        record_event(
            topic=events.TOPIC_PHOTOS,
            key=listing.id,
            event=events.photo_uploaded_event(photo.id, listing.id, key),
        )
        photos.append(photo)
    return photos


def change_gallery(
    listing,
    *,
    photo_order: list[int] | None = None,
    images: Sequence[Reencoded] = (),
    remove_photo_id: int | None = None,
) -> bool:
    """Keep the photos of ``photo_order`` in that order (None: keep all as they are), drop
    the others and ``remove_photo_id``, append ``images``. The caller holds the listing's
    row lock. Whether anything changed; ValidationFailed (nothing written) for ids that
    are not this listing's photos, a repeated id, or more than the maximum in all;
    NotFound for a ``remove_photo_id`` that is not one of its photos."""
    current = list(Photo.objects.filter(listing=listing).order_by("position"))
    by_id = {photo.id: photo for photo in current}
    if remove_photo_id is not None:
        if remove_photo_id not in by_id:
            raise NotFound("This listing has no such photo.")
        base = photo_order if photo_order is not None else list(by_id)
        photo_order = [pk for pk in base if pk != remove_photo_id]
    if photo_order is None:
        kept = current
    else:
        unknown = [pk for pk in photo_order if pk not in by_id]
        if unknown:
            shown = ", ".join(str(pk) for pk in unknown[:8])
            raise ValidationFailed({"photo_order": [f"Not photos of this listing: {shown}."]})
        if len(set(photo_order)) != len(photo_order):
            raise ValidationFailed({"photo_order": ["Each photo may appear once."]})
        kept = [by_id[pk] for pk in photo_order]
    if len(kept) + len(images) > photo_rules.MAX_PHOTOS_PER_LISTING:
        raise ValidationFailed({"photos": [photo_rules.MESSAGE_TOO_MANY]})
    removed = [photo for photo in current if photo not in kept]
    moved = [photo for position, photo in enumerate(kept) if photo.position != position]
    if removed:
        Photo.objects.filter(pk__in=[photo.pk for photo in removed]).delete()
        storage.purge_unused(key for photo in removed for key in _keys(photo))
    for position, photo in enumerate(kept):
        photo.position = position
    if moved:
        # (listing, position) is unique at commit, so positions may cross meanwhile.
        Photo.objects.bulk_update(moved, ["position"])
    add_photos(listing, images, first_position=len(kept))
    return bool(removed or moved or images)


def media_keys_of_listing(listing_id: int) -> list[str]:
    rows = Photo.objects.filter(listing_id=listing_id).values_list(
        "original_id", "card_id", "detail_id"
    )
    return [key for row in rows for key in row if key]


def _keys(photo: Photo) -> list[str]:
    return [key for key in (photo.original_id, photo.card_id, photo.detail_id) if key]


def store_thumbnails(*, photo_id: int, thumbnails: dict[str, bytes]) -> Photo:
    """Store the worker's thumbnails of a photo (already checked to decode) and bump its
    listing (one ``listing.updated``). The same bytes again change nothing and record
    nothing. NotFound when the photo (or its listing) is gone."""
    from catalogue.services import locked_listing, record_listing_change

    keys = {
        name: storage.key_for(data, photo_rules.FORMATS[photo_rules.THUMBNAIL_FORMAT][1])
        for name, data in thumbnails.items()
    }
    listing_id = Photo.objects.filter(pk=photo_id).values_list("listing_id", flat=True).first()
    if listing_id is None:
        raise NotFound("Photo not found.")
    with transaction.atomic():
        listing = locked_listing(listing_id)  # the listing first, as every photo change
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if listing is None or photo is None:
            raise NotFound("Photo not found.")
        if photo.card_id == keys["card"] and photo.detail_id == keys["detail"]:
            return photo
        content_type = photo_rules.FORMATS[photo_rules.THUMBNAIL_FORMAT][0]
        extension = photo_rules.FORMATS[photo_rules.THUMBNAIL_FORMAT][1]
        for data in thumbnails.values():
            storage.put(data, content_type=content_type, extension=extension)
        replaced = [photo.card_id, photo.detail_id]
        photo.card_id, photo.detail_id = keys["card"], keys["detail"]
        photo.save(update_fields=["card", "detail"])
        storage.purge_unused(key for key in replaced if key not in keys.values())
        record_listing_change(listing)
    logger.info("thumbnails stored", extra={"photo_id": photo_id, "listing_id": listing_id})
    return photo
