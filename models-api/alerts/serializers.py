"""Input validation and the wire representation of saved searches (``*Out``: the
OpenAPI schema of the same shapes)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from rest_framework import serializers

from alerts.models import SavedSearch
from catalogue.models import ListingCondition
from core.formatting import iso_utc
from mpcommon import account_rules, listing_rules
from mpcommon.api_fields import IdField, PriceField, StrictCharField

MESSAGE_EMPTY_SEARCH = "Enter words to search for, or choose at least one filter."
MAX_MATCHED_SEARCHES = 10_000  # per POST /saved-searches/matches
# The /search/ page's parameter of the words (web-frontend search.forms.SearchForm); the
# filters have the same names there as here.
SEARCH_PAGE_QUERY_PARAMETER = "q"


def search_url(search: SavedSearch) -> str:
    """The public /search/ path the saved search stands for."""
    params = [(SEARCH_PAGE_QUERY_PARAMETER, search.query)] if search.query else []
    params += [
        (name, search.filters[name])
        for name in account_rules.SAVED_SEARCH_FILTERS
        if name in search.filters
    ]
    return "/search/?" + urlencode(params)


def saved_search_representation(search: SavedSearch) -> dict:
    return {
        "id": search.id,
        "query": search.query,
        "filters": dict(search.filters),
        "frequency": search.frequency,
        "paused": search.paused,
        "created_at": iso_utc(search.created_at),
        "search_url": search_url(search),
    }


def saved_search_document(search: SavedSearch) -> dict:
    """What saved_search.upserted events carry (what the percolator needs)."""
    return {"query": search.query, "filters": dict(search.filters), "paused": search.paused}


# ---------------------------------------------------------------- input


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF would take "yes", 1, "off", ...)."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class NoUnknownFieldsSerializer(serializers.Serializer):
    def validate(self, attrs):
        if isinstance(self.initial_data, Mapping):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs


class SavedSearchCreateIn(NoUnknownFieldsSerializer):
    """The /search/ parameters to keep; a filter given as null or "" is not set."""

    query = StrictCharField(
        max_length=account_rules.SAVED_SEARCH_QUERY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The words searched for (trimmed); may be empty when a filter is set.",
    )
    category = serializers.SlugField(
        max_length=listing_rules.CATEGORY_SLUG_MAX_LENGTH,
        required=False,
        help_text="A category slug.",
    )
    min_price = PriceField(required=False)
    max_price = PriceField(required=False)
    condition = serializers.ChoiceField(choices=ListingCondition.choices, required=False)
    frequency = serializers.ChoiceField(
        choices=account_rules.SAVED_SEARCH_FREQUENCIES,
        required=False,
        default=account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY,
    )

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            data = {
                key: value
                for key, value in data.items()
                if not (key in account_rules.SAVED_SEARCH_FILTERS and value in (None, ""))
            }
        return super().to_internal_value(data)

    def validate_query(self, value: str) -> str:
        return re.sub(r"\s+", " ", value).strip()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": ["Must not exceed max_price."]})
        if not attrs.get("query") and not any(
            name in attrs for name in account_rules.SAVED_SEARCH_FILTERS
        ):
            raise serializers.ValidationError({"query": [MESSAGE_EMPTY_SEARCH]})
        return attrs


class SavedSearchUpdateIn(NoUnknownFieldsSerializer):
    """PATCH: pause or resume, or change how often; at least one."""

    paused = StrictBooleanField(required=False)
    frequency = serializers.ChoiceField(
        choices=account_rules.SAVED_SEARCH_FREQUENCIES, required=False
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to change.")
        return attrs


class MatchesIn(NoUnknownFieldsSerializer):
    listing = IdField()
    saved_searches = serializers.ListField(
        child=IdField(), max_length=MAX_MATCHED_SEARCHES, allow_empty=True
    )


# ---------------------------------------------------------------- output (schema only)


class SavedSearchFiltersOut(serializers.Serializer):
    category = serializers.CharField(required=False, help_text="A category slug.")
    min_price = serializers.CharField(required=False, help_text='Two decimals, e.g. "10.00".')
    max_price = serializers.CharField(required=False, help_text='Two decimals, e.g. "99.50".')
    condition = serializers.ChoiceField(choices=ListingCondition.choices, required=False)


class SavedSearchOut(serializers.Serializer):
    id = serializers.IntegerField()
    query = serializers.CharField()
    filters = SavedSearchFiltersOut(help_text="Only the filters that are set.")
    frequency = serializers.ChoiceField(choices=account_rules.SAVED_SEARCH_FREQUENCIES)
    paused = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    search_url = serializers.CharField(help_text="The public /search/?... path it stands for.")


class SavedSearchListOut(serializers.Serializer):
    results = SavedSearchOut(many=True)


class MatchesOut(serializers.Serializer):
    emailed = serializers.IntegerField(help_text="Instant alert emails written.")
    queued_for_digest = serializers.IntegerField(help_text="New matches of daily searches.")
