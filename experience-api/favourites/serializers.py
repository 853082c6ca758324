"""Input validation and documented output shapes of the favourites endpoints.

The output serializers only document the shapes (cards are listings.cards.card, the
rest is models-api's answer as it comes; docs/accounts-and-notifications.md).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.serializers import CardOutput
from mpcommon.api_fields import MAX_BIGINT

# models-api's bound on GET /favourites/ids?listings= (docs/accounts-and-notifications.md).
MAX_IDS_ASKED = 100


@extend_schema_field(OpenApiTypes.STR)
class ListingIdsField(serializers.Field):
    """Comma-separated listing ids (``1,2,3``), each a positive 64-bit integer, at most
    ``MAX_IDS_ASKED`` different ones; empty means none. Returned in order, without
    repeats."""

    default_error_messages = {
        "invalid": "Give listing ids separated by commas, e.g. 1,2,3.",
        "too_many": f"Ask about at most {MAX_IDS_ASKED} listings at a time.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if not data.strip():
            return []
        ids: list[int] = []
        for part in data.split(","):
            part = part.strip()
            if not (part.isascii() and part.isdigit() and len(part) <= 19):
                self.fail("invalid")
            value = int(part)
            if not 1 <= value <= MAX_BIGINT:
                self.fail("invalid")
            if value not in ids:
                ids.append(value)
        if len(ids) > MAX_IDS_ASKED:
            self.fail("too_many")
        return ids

    def to_representation(self, value):
        return ",".join(str(i) for i in value)


class FavouriteIdsInput(serializers.Serializer):
    listings = ListingIdsField(
        help_text=f"Comma-separated listing ids, at most {MAX_IDS_ASKED}, e.g. 1,2,3."
    )


class FavouritesPageOutput(serializers.Serializer):
    results = CardOutput(many=True, help_text="Newest favourite first.")
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class FavouriteIdsOutput(serializers.Serializer):
    favourited = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids asked about that are favourites."
    )


class FavouriteStateOutput(serializers.Serializer):
    listing = serializers.IntegerField()
    favourited = serializers.BooleanField()
    count = serializers.IntegerField(help_text="How many users favourite the listing now.")
