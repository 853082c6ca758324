"""Listing photos, and the immutable media objects (photos and thumbnails) they point to.

A :class:`Blob` is named by the SHA-256 of its bytes (``photo_rules.MEDIA_KEY_PATTERN``):
the same bytes are stored once, a name never changes meaning, and it can be cached for a
year. A :class:`Photo` is one position of a listing's gallery; the database keeps the
gallery's rules whatever the code path: positions 0..7 (so at most 8 photos), one photo
per (listing, position) checked at commit (so a reorder can swap positions in one
transaction), and a blob cannot be deleted while a photo points to it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from mpcommon import photo_rules

KEY_MAX_LENGTH = 64 + 1 + 4  # sha256 hex, dot, extension


class Blob(models.Model):
    key = models.CharField(primary_key=True, max_length=KEY_MAX_LENGTH)
    content_type = models.CharField(max_length=32)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "photos_blob"
        constraints = [
            models.CheckConstraint(
                condition=Q(key__regex=f"^{photo_rules.MEDIA_KEY_PATTERN}$"),
                name="photos_blob_key_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.key


def _blob(related_name: str, **options) -> models.ForeignKey:
    return models.ForeignKey(
        Blob, on_delete=models.PROTECT, related_name=related_name, db_index=False, **options
    )


class Photo(models.Model):
    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.CASCADE,
        related_name="photos",
        db_index=False,  # covered by photos_photo_listing_position_unique
    )
    position = models.PositiveSmallIntegerField()
    original = _blob("+", db_column="original_key")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # Made in the background (the thumbnails worker); null until then.
    card = _blob("+", null=True, db_column="card_key")
    detail = _blob("+", null=True, db_column="detail_key")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "position"],
                name="photos_photo_listing_position_unique",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(position__gte=0) & Q(position__lt=photo_rules.MAX_PHOTOS_PER_LISTING),
                name="photos_photo_position_range",
            ),
            models.CheckConstraint(
                condition=Q(width__gte=1) & Q(height__gte=1), name="photos_photo_size_positive"
            ),
        ]
        indexes = [
            # "Is this blob still used?" when photos are removed (storage.purge_unused).
            models.Index(fields=["original"], name="photos_photo_original_idx"),
            models.Index(fields=["card"], name="photos_photo_card_idx"),
            models.Index(fields=["detail"], name="photos_photo_detail_idx"),
        ]

    def __str__(self) -> str:
        return f"Photo {self.pk} of listing {self.listing_id} at {self.position}"
