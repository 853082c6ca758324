"""Input validation and documented output shapes of the listing endpoints.

Input is checked here first (a cheap 400 without a remote call); models-api stays the
authority and its per-field 400s are passed through unchanged.
"""

from decimal import Decimal

from rest_framework import serializers

CONDITIONS = ("new", "like_new", "good", "fair", "poor")
MAX_PRICE = Decimal("1000000.00")


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF would silently turn 123 into "123")."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PriceField(serializers.DecimalField):
    """A price: JSON string or number, at most two decimals, 0 to 1,000,000."""

    default_error_messages = {"invalid": 'Must be a number or a numeric string, e.g. "12.50".'}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", MAX_PRICE)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, float):
            data = repr(data)
        return super().to_internal_value(data)


class ListingCreateInput(serializers.Serializer):
    title = StrictCharField(max_length=120)
    description = StrictCharField(max_length=5000)
    price = PriceField()
    category = serializers.SlugField(max_length=50, help_text="A category slug.")
    condition = serializers.ChoiceField(choices=CONDITIONS, required=False)

    def to_models_api(self) -> dict:
        data = dict(self.validated_data)
        data["price"] = f"{data['price']:.2f}"
        return data


class PageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=1)


class CategoryOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SellerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class CardOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    price = serializers.CharField(help_text='Two decimals, e.g. "12.50".')
    category = CategoryOutput()
    condition = serializers.ChoiceField(choices=CONDITIONS)
    status = serializers.ChoiceField(choices=("active", "sold", "withdrawn"))
    seller = SellerOutput()
    view_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ListingOutput(CardOutput):
    description = serializers.CharField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class ListingDetailOutput(ListingOutput):
    recommendations = CardOutput(many=True)


class HomeOutput(serializers.Serializer):
    newest = CardOutput(many=True)
    popular = CardOutput(many=True)


class UserPublicOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    date_joined = serializers.DateTimeField()


class UserProfileOutput(serializers.Serializer):
    user = UserPublicOutput()
    listings = CardOutput(many=True)
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class CategoriesOutput(serializers.Serializer):
    categories = CategoryOutput(many=True)
