"""Input validation and the wire representations of categories and listings.

``listing_representation`` is the listing document of the contract: the API returns
it and listing events carry it, so search documents and API responses never drift.
The ``*Out`` serializers document the same shapes in the OpenAPI schema.
"""

from __future__ import annotations

from rest_framework import serializers

from catalogue.models import (
    Category,
    Listing,
    ListingCondition,
    ListingStatus,
)
from core.formatting import iso_utc
from mpcommon import listing_rules
from mpcommon.api_fields import IdField, PriceField, StrictCharField, StrictIntegerField
from mpcommon.listing_rules import (
    CATEGORY_SLUG_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    price_string,
)
from mpcommon.photo_rules import MAX_PHOTOS_PER_LISTING
from photos.serializers import PhotoOut, photo_representation

MAX_LIST_IDS = 100
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_VIEW_INCREMENT = 1_000_000
MAX_VIEW_ENTRIES = 50_000
MAX_RECOMMENDED_PER_LISTING = 100
MAX_RECOMMENDATION_LISTINGS = 200_000

# The statuses a seller may set (PATCH status); named in the schema (ENUM_NAME_OVERRIDES).
SELLER_STATUS_CHOICES = [
    (value, ListingStatus(value).label) for value in listing_rules.SELLER_SETTABLE_STATUSES
]

ORDERINGS = ("newest", "oldest", "most_viewed", "price_asc", "price_desc")


def category_representation(category: Category) -> dict:
    return {"slug": category.slug, "name": category.name}


def listing_representation(listing: Listing) -> dict:
    """The listing as the API returns it: the document plus ``favourite_count`` (needs
    ``seller`` and ``category`` loaded, and ``photos`` prefetched, or it costs one query)."""
    return {**listing_document(listing), "favourite_count": listing.favourite_count}


def listing_document(listing: Listing) -> dict:
    """The listing document that listing events carry (the search index's source).

    ``favourite_count`` is left out on purpose: favouriting is not a change of the
    listing (no version bump, no event), so a count in events would always be stale.
    """
    seller = listing.seller
    return {
        "id": listing.id,
        "title": listing.title,
        "description": listing.description,
        "price": price_string(listing.price),
        "category": category_representation(listing.category),
        "condition": listing.condition,
        "status": listing.status,
        "seller": {
            "id": seller.id,
            "username": seller.username,
            "display_name": seller.public_name,
        },
        "view_count": listing.view_count,
        "created_at": iso_utc(listing.created_at),
        "updated_at": iso_utc(listing.updated_at),
        "version": listing.version,
        "photos": [photo_representation(photo) for photo in listing.photos.all()],
    }


# ---------------------------------------------------------------- input


class ListingCreateIn(serializers.Serializer):
    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH)
    price = PriceField()
    category = StrictCharField(max_length=CATEGORY_SLUG_MAX_LENGTH, help_text="A category slug.")
    condition = serializers.ChoiceField(choices=ListingCondition.choices, required=False)


class ListingUpdateIn(serializers.Serializer):
    """PATCH: any of the writable fields, plus ``status``; at least one."""

    title = StrictCharField(max_length=TITLE_MAX_LENGTH, required=False)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, required=False)
    price = PriceField(required=False)
    category = StrictCharField(
        max_length=CATEGORY_SLUG_MAX_LENGTH, required=False, help_text="A category slug."
    )
    condition = serializers.ChoiceField(choices=ListingCondition.choices, required=False)
    # 'reserved' is set only by accepting an order, never directly.
    status = serializers.ChoiceField(choices=SELLER_STATUS_CHOICES, required=False)
    photo_order = serializers.ListField(
        child=IdField(),
        max_length=MAX_PHOTOS_PER_LISTING,
        allow_empty=True,
        required=False,
        help_text="Ids of the listing's photos to keep, in their new order (the first is "
        "the cover); the others are removed. Absent: all are kept as they are.",
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        # New photos (multipart files, checked apart) are a change on their own.
        if not attrs and not self.context.get("has_photos"):
            raise serializers.ValidationError("Provide at least one field to change.")
        return attrs


class ListingQueryIn(serializers.Serializer):
    """Query parameters of ``GET /listings`` (strings from the URL)."""

    seller = IdField(required=False)
    category = serializers.SlugField(max_length=CATEGORY_SLUG_MAX_LENGTH, required=False)
    status = serializers.ChoiceField(choices=ListingStatus.choices, required=False)
    min_price = PriceField(required=False)
    max_price = PriceField(required=False)
    ids = StrictCharField(
        required=False, max_length=MAX_LIST_IDS * 20, help_text="Comma-separated ids (max 100)."
    )
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="newest")
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, default=DEFAULT_PAGE_SIZE
    )

    def validate_ids(self, value: str) -> list[int]:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if len(parts) > MAX_LIST_IDS:
            raise serializers.ValidationError(f"At most {MAX_LIST_IDS} ids.")
        field = IdField()
        try:
            return list(dict.fromkeys(field.to_internal_value(part) for part in parts))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError("Must be a comma-separated list of ids.") from exc

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": ["Must not exceed max_price."]})
        return attrs


class ViewIncrementsIn(serializers.Serializer):
    increments = serializers.DictField(
        child=StrictIntegerField(min_value=1, max_value=MAX_VIEW_INCREMENT),
        allow_empty=True,
        help_text="listing id -> views to add (1 to 1,000,000).",
    )
    batch_id = StrictCharField(max_length=200, required=False)

    def validate_increments(self, value: dict) -> dict[int, int]:
        if len(value) > MAX_VIEW_ENTRIES:
            raise serializers.ValidationError(f"At most {MAX_VIEW_ENTRIES} listings per request.")
        return _keys_as_ids(value)


class RecommendationsIn(serializers.Serializer):
    recommendations = serializers.DictField(
        child=serializers.ListField(
            child=IdField(), max_length=MAX_RECOMMENDED_PER_LISTING, allow_empty=True
        ),
        allow_empty=True,
        help_text="listing id -> recommended listing ids, best first.",
    )

    def validate_recommendations(self, value: dict) -> dict[int, list[int]]:
        if len(value) > MAX_RECOMMENDATION_LISTINGS:
            raise serializers.ValidationError(
                f"At most {MAX_RECOMMENDATION_LISTINGS} listings per request."
            )
        return _keys_as_ids(value)


def _keys_as_ids(value: dict) -> dict:
    field = IdField()
    converted: dict = {}
    bad: list[str] = []
    for key, item in value.items():
        try:
            converted[field.to_internal_value(key)] = item
        except serializers.ValidationError:
            bad.append(key)
    if bad:
        shown = ", ".join(repr(key) for key in bad[:5])
        raise serializers.ValidationError(f"Keys must be listing ids; got {shown}.")
    return converted


# ---------------------------------------------------------------- output (schema only)


class CategoryOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class CategoryListOut(serializers.Serializer):
    results = CategoryOut(many=True)


class SellerOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class ListingOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    price = serializers.CharField(help_text='Two decimals, e.g. "12.50".')
    category = CategoryOut()
    condition = serializers.ChoiceField(choices=ListingCondition.choices)
    status = serializers.ChoiceField(choices=ListingStatus.choices)
    seller = SellerOut()
    view_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    photos = PhotoOut(many=True, help_text="In position order; the first is the cover.")
    favourite_count = serializers.IntegerField(
        help_text="Users who favourited it (not in listing events)."
    )


class ListingCreateMultipartIn(ListingCreateIn):
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS_PER_LISTING,
        help_text="JPEG, PNG or WebP files, at most 10 MB each; the first is the cover.",
    )


class ListingUpdateMultipartIn(ListingUpdateIn):
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS_PER_LISTING,
        help_text="New photos, appended after the kept ones.",
    )


class ListingPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.IntegerField(allow_null=True, help_text="Next page number, or null.")
    previous = serializers.IntegerField(allow_null=True, help_text="Previous page number, or null.")
    results = ListingOut(many=True)


class ViewIncrementsOut(serializers.Serializer):
    updated = serializers.IntegerField(help_text="Listings whose count changed.")
    duplicate = serializers.BooleanField(help_text="The batch_id had already been applied.")


class ListingRecommendationsOut(serializers.Serializer):
    listing_id = serializers.IntegerField()
    recommended = serializers.ListField(child=serializers.IntegerField())
    updated_at = serializers.DateTimeField(allow_null=True)


class RecommendationsReplacedOut(serializers.Serializer):
    listings = serializers.IntegerField(help_text="Listings that now have recommendations.")
