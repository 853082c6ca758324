"""Input validation and documented output shapes of the listing endpoints.

Input is checked here first (a cheap 400 without a remote call); models-api stays the
authority and its per-field 400s are passed through unchanged.
"""

from rest_framework import serializers

from accounts.serializers import MeOutput
from listings.uploads import PHOTOS_FIELD, PhotoFilesField, PhotoOrderField
from mpcommon import errors as envelope
from mpcommon import listing_rules, photo_rules
from mpcommon.api_fields import PriceField, StrictCharField

CONDITIONS = listing_rules.CONDITION_VALUES


class ListingCreateInput(serializers.Serializer):
    """POST /listings as JSON (no photos: those need a multipart body)."""

    title = StrictCharField(max_length=listing_rules.TITLE_MAX_LENGTH)
    description = StrictCharField(max_length=listing_rules.DESCRIPTION_MAX_LENGTH)
    price = PriceField()
    category = serializers.SlugField(
        max_length=listing_rules.CATEGORY_SLUG_MAX_LENGTH, help_text="A category slug."
    )
    condition = serializers.ChoiceField(choices=CONDITIONS, required=False)

    def to_models_api(self) -> dict:
        """The listing's fields as models-api takes them (the photos apart)."""
        data = {k: v for k, v in self.validated_data.items() if k != PHOTOS_FIELD}
        data["price"] = listing_rules.price_string(data["price"])
        return data

    @property
    def photos(self) -> list:
        return self.validated_data.get(PHOTOS_FIELD, [])


# Requests of either type are validated with the multipart serializers (a JSON body
# simply has no files): a ``photos`` in JSON is then told to come as files.
class ListingCreateMultipartInput(ListingCreateInput):
    """POST /listings as multipart/form-data: the same fields plus the photos (the first
    is the cover)."""

    photos = PhotoFilesField(required=False)


class ListingUpdateInput(serializers.Serializer):
    """PATCH as JSON: any of the create fields, ``status`` (what a seller may set) and
    ``photo_order``; at least one."""

    title = StrictCharField(max_length=listing_rules.TITLE_MAX_LENGTH, required=False)
    description = StrictCharField(max_length=listing_rules.DESCRIPTION_MAX_LENGTH, required=False)
    price = PriceField(required=False)
    category = serializers.SlugField(
        max_length=listing_rules.CATEGORY_SLUG_MAX_LENGTH, required=False
    )
    condition = serializers.ChoiceField(choices=CONDITIONS, required=False)
    status = serializers.ChoiceField(
        choices=listing_rules.SELLER_SETTABLE_STATUSES,
        required=False,
        help_text="'reserved' is set only by accepting an order.",
    )
    photo_order = PhotoOrderField(required=False)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to change.")
        kept, added = attrs.get("photo_order"), attrs.get(PHOTOS_FIELD, [])
        # Without photo_order every existing photo stays: models-api counts those.
        if kept is not None and len(kept) + len(added) > photo_rules.MAX_PHOTOS_PER_LISTING:
            raise serializers.ValidationError({PHOTOS_FIELD: [photo_rules.MESSAGE_TOO_MANY]})
        return attrs

    def to_models_api(self) -> dict:
        """The changes as models-api takes them (the new photos apart)."""
        data = {k: v for k, v in self.validated_data.items() if k != PHOTOS_FIELD}
        if "price" in data:
            data["price"] = listing_rules.price_string(data["price"])
        return data

    @property
    def photos(self) -> list:
        return self.validated_data.get(PHOTOS_FIELD, [])


class ListingUpdateMultipartInput(ListingUpdateInput):
    """PATCH as multipart/form-data: the same fields, ``photo_order`` as a repeated field,
    and new ``photos`` appended after the kept ones."""

    photos = PhotoFilesField(required=False)


class PhotosUploadInput(serializers.Serializer):
    """POST /listings/<id>/photos: files appended after the listing's photos."""

    photos = PhotoFilesField()


class PageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=1)


class DashboardInput(PageInput):
    status = serializers.ChoiceField(choices=listing_rules.STATUS_VALUES, required=False)


class CategoryOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SellerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class PhotoOutput(serializers.Serializer):
    """A listing's photo (models-api's representation; docs/selling-and-buying.md)."""

    id = serializers.IntegerField()
    position = serializers.IntegerField(help_text="0 is the cover.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.CharField(help_text="The photo itself: /media/<key>.")
    card_url = serializers.CharField(
        allow_null=True, help_text="480 px WebP thumbnail; null until made (then use url)."
    )
    detail_url = serializers.CharField(
        allow_null=True, help_text="1200 px WebP thumbnail; null until made (then use url)."
    )


# The fields a listing and its card share.
class ListingSummaryFields(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.CharField(help_text='Two decimals, e.g. "12.50".')
    category = CategoryOutput()
    condition = serializers.ChoiceField(choices=CONDITIONS)
    status = serializers.ChoiceField(choices=listing_rules.STATUS_VALUES)
    seller = SellerOutput()
    view_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class CardOutput(ListingSummaryFields):
    """A listing as shown in a list (home, profile, recommendations, search results)."""

    cover = PhotoOutput(allow_null=True, help_text="The first photo; null without photos.")


class ListingOutput(ListingSummaryFields):
    """A listing as models-api represents it."""

    description = serializers.CharField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    photos = PhotoOutput(many=True, help_text="In position order; the first is the cover.")


class ViewerPartOutput(serializers.Serializer):
    """What a page answers besides itself when a Bearer is sent (accounts.viewer)."""

    viewer = MeOutput(
        required=False,
        allow_null=True,
        help_text="Only with a Bearer: the viewer as GET /me answers; null when the "
        "authenticator is refused or could not be verified (see viewer_error).",
    )
    viewer_error = serializers.ChoiceField(
        choices=[envelope.NOT_AUTHENTICATED, envelope.MODELS_API_UNAVAILABLE],
        required=False,
        help_text="Only when viewer is null: not_authenticated (refused: forget it) or "
        "models_api_unavailable (could not be verified now).",
    )
    favourited = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text="Only with a Bearer: which of the page's listings the viewer "
        "favourited; null when unknown.",
    )


class ListingDetailOutput(ListingOutput, ViewerPartOutput):
    recommendations = CardOutput(many=True)


class HomeOutput(ViewerPartOutput):
    newest = CardOutput(many=True)
    popular = CardOutput(many=True)


class UserPublicOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField(help_text="As written: escape it when rendering.")
    date_joined = serializers.DateTimeField()


class UserProfileOutput(serializers.Serializer):
    user = UserPublicOutput()
    listings = CardOutput(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class CategoriesOutput(serializers.Serializer):
    categories = CategoryOutput(many=True)
