"""The wire shape of a photo (docs/selling-and-buying.md), and the multipart inputs."""

from __future__ import annotations

from rest_framework import serializers

from mpcommon import photo_rules


def _url(key: str | None) -> str | None:
    return photo_rules.media_url(key) if key else None


def photo_representation(photo) -> dict:
    """Public paths only; the thumbnails are null until the worker has made them."""
    return {
        "id": photo.id,
        "position": photo.position,
        "width": photo.width,
        "height": photo.height,
        "url": _url(photo.original_id),
        "card_url": _url(photo.card_id),
        "detail_url": _url(photo.detail_id),
    }


def cover_of(listing) -> dict | None:
    """The first photo of a listing (``photos`` prefetched, or one query), or None."""
    if listing is None:
        return None
    photos = listing.photos.all()
    return photo_representation(photos[0]) if photos else None


class PhotoOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField(min_value=0)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.CharField(help_text="/media/<sha256>.<ext>: the re-encoded original.")
    card_url = serializers.CharField(allow_null=True, help_text="480 px WebP; null until made.")
    detail_url = serializers.CharField(allow_null=True, help_text="1200 px WebP; null until made.")


class PhotosUploadIn(serializers.Serializer):
    photos = serializers.ListField(
        child=serializers.FileField(),
        max_length=photo_rules.MAX_PHOTOS_PER_LISTING,
        help_text="JPEG, PNG or WebP files, at most 10 MB each; appended in this order.",
    )


class ThumbnailsIn(serializers.Serializer):
    card = serializers.FileField(help_text="WebP, at most 480 px a side.")
    detail = serializers.FileField(help_text="WebP, at most 1200 px a side.")
