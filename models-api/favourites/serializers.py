"""Input validation and the wire shapes of favourites (``*Out``: the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from catalogue.serializers import MAX_LIST_IDS, MAX_PAGE_SIZE
from mpcommon import account_rules
from mpcommon.api_fields import IdField, StrictCharField


class FavouritePageQueryIn(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        required=False,
        default=account_rules.FAVOURITES_PAGE_SIZE,
    )


class FavouriteIdsQueryIn(serializers.Serializer):
    listings = StrictCharField(
        required=False,
        default="",
        max_length=MAX_LIST_IDS * 20,
        help_text=f"Comma-separated listing ids (max {MAX_LIST_IDS}).",
    )

    def validate_listings(self, value: str) -> list[int]:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if len(parts) > MAX_LIST_IDS:
            raise serializers.ValidationError(f"At most {MAX_LIST_IDS} ids.")
        field = IdField()
        try:
            return list(dict.fromkeys(field.run_validation(part) for part in parts))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError("Must be a comma-separated list of ids.") from exc


def favourite_state(listing_id: int, *, favourited: bool, count: int) -> dict:
    return {"listing": listing_id, "favourited": favourited, "count": count}


class FavouriteStateOut(serializers.Serializer):
    listing = serializers.IntegerField()
    favourited = serializers.BooleanField()
    count = serializers.IntegerField(help_text="The listing's favourite count now.")


class FavouritedIdsOut(serializers.Serializer):
    favourited = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids asked about that are favourites."
    )
