"""Input validation and documented output shapes of the saved-search endpoints.

Input is checked here first with the shared rules (mpcommon.account_rules, the
listing rules for the filters, the strict JSON types of mpcommon.api_fields); models-api
stays the authority (the cap of MAX_SAVED_SEARCHES is its to count) and its 400s pass
through. The output serializers only document models-api's saved-search shape.
"""

from rest_framework import serializers

from mpcommon import account_rules, listing_rules
from mpcommon.api_fields import PriceField, StrictCharField

FREQUENCIES = account_rules.SAVED_SEARCH_FREQUENCY_VALUES


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF would take "yes", 1, "on")."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class SavedSearchCreateInput(serializers.Serializer):
    """A search to be told about: the ``/search/`` query and filters (an empty filter is
    the same as none), and how often."""

    query = StrictCharField(
        max_length=account_rules.SAVED_SEARCH_QUERY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="The search words (the q of /search/); may be empty when a filter is set "
        "(models-api refuses a search with neither).",
    )
    category = serializers.SlugField(
        max_length=listing_rules.CATEGORY_SLUG_MAX_LENGTH, required=False, allow_blank=True
    )
    min_price = PriceField(required=False, allow_null=True)
    max_price = PriceField(required=False, allow_null=True)
    condition = serializers.ChoiceField(
        choices=listing_rules.CONDITION_VALUES, required=False, allow_blank=True
    )
    frequency = serializers.ChoiceField(
        choices=FREQUENCIES,
        required=False,
        help_text=f"Default {account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY}.",
    )

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:  # as models-api: a misspelt filter must not save a broader search
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"min_price": ["Must not exceed max_price."]})
        return attrs

    def to_models_api(self) -> dict:
        """The search as models-api takes it: the query, the filters given (prices as
        two-decimal strings), the frequency if given."""
        data = self.validated_data
        body: dict = {"query": data["query"]}
        for name in account_rules.SAVED_SEARCH_FILTERS:
            value = data.get(name)
            if value in (None, ""):
                continue
            if name in ("min_price", "max_price"):
                value = listing_rules.price_string(value)
            body[name] = value
        if "frequency" in data:
            body["frequency"] = data["frequency"]
        return body


class SavedSearchUpdateInput(serializers.Serializer):
    """PATCH: pause or resume, or change how often; at least one, nothing else."""

    paused = StrictBooleanField(required=False, help_text="A paused search sends nothing.")
    frequency = serializers.ChoiceField(choices=FREQUENCIES, required=False)

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        if not attrs:
            raise serializers.ValidationError("Provide at least one field to change.")
        return attrs


# ---------------------------------------------------------------- output (schema only)
class SavedSearchFiltersOutput(serializers.Serializer):
    category = serializers.CharField(required=False, help_text="A category slug.")
    min_price = serializers.CharField(required=False, help_text='Two decimals, e.g. "12.50".')
    max_price = serializers.CharField(required=False, help_text='Two decimals, e.g. "12.50".')
    condition = serializers.ChoiceField(choices=listing_rules.CONDITION_VALUES, required=False)


class SavedSearchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    query = serializers.CharField()
    filters = SavedSearchFiltersOutput(help_text="Only the filters the search has.")
    frequency = serializers.ChoiceField(choices=FREQUENCIES)
    paused = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    search_url = serializers.CharField(help_text="The /search/?... page it stands for.")


class SavedSearchListOutput(serializers.Serializer):
    results = SavedSearchOutput(many=True, help_text="Newest first.")
