"""Validation of the search query parameters (400 per field on bad input)."""

from django.conf import settings
from rest_framework import serializers

from mpcommon.api_fields import PriceField
from mpcommon.listing_rules import CATEGORY_SLUG_MAX_LENGTH
from search.queries import SORTS, SearchParams


class SearchInput(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    category = serializers.SlugField(
        max_length=CATEGORY_SLUG_MAX_LENGTH, required=False, allow_blank=True
    )
    min_price = PriceField(required=False)
    max_price = PriceField(required=False)
    sort = serializers.ChoiceField(choices=SORTS, required=False, default="relevance")
    page = serializers.IntegerField(min_value=1, required=False, default=1)

    def validate_page(self, value: int) -> int:
        # Deep pages are expensive for the engine and useless to people: cap them.
        if value > settings.SEARCH_MAX_PAGE:
            raise serializers.ValidationError(
                f"Ensure this value is less than or equal to {settings.SEARCH_MAX_PAGE}."
            )
        return value

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": ["Must not exceed max_price."]})
        return attrs

    def to_params(self) -> SearchParams:
        data = self.validated_data
        return SearchParams(
            q=" ".join(data.get("q", "").split()),
            category=data.get("category") or None,
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            sort=data["sort"],
            page=data["page"],
            page_size=settings.SEARCH_PAGE_SIZE,
        )
