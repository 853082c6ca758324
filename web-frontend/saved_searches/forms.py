"""Saving a search: the ``/search/`` parameters as fields, plus how often to be told.

The search page posts its current, already valid parameters as hidden fields; the
saved-searches page shows the same fields for a search typed there. The rules are the
search page's (prices, category slug) and ``account_rules``' (query length, frequency).
"""

from __future__ import annotations

from django import forms

from mpcommon import account_rules, listing_rules

# The /search/ parameters a saved search keeps (sort and page are not part of it).
SEARCH_FIELDS = ("q", *account_rules.SAVED_SEARCH_FILTERS)


def _price_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        required=False,
        min_value=listing_rules.MIN_PRICE,
        max_value=listing_rules.MAX_PRICE,
        max_digits=listing_rules.PRICE_MAX_DIGITS,
        decimal_places=listing_rules.PRICE_DECIMAL_PLACES,
        label=label,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )


class SavedSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=account_rules.SAVED_SEARCH_QUERY_MAX_LENGTH,
        label="Search for",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    category = forms.ChoiceField(required=False, choices=())
    min_price = _price_field("Min price")
    max_price = _price_field("Max price")
    condition = forms.ChoiceField(
        required=False, choices=[("", "Any condition"), *listing_rules.CONDITIONS]
    )
    frequency = forms.ChoiceField(
        label="Email me",
        choices=account_rules.SAVED_SEARCH_FREQUENCIES,
        initial=account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY,
    )

    def __init__(self, *args, categories: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("frequency"):
            # A post without it (an older page, a hand-made form) gets the default.
            self.data = self.data.copy()
            self.data["frequency"] = account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY
        self.fields["category"].choices = [("", "Any category")] + [
            (c["slug"], c["name"]) for c in categories
        ]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum must be at least the minimum.")
        return cleaned

    def api_payload(self) -> dict:
        """``{"query", "filters", "frequency"}`` for the client's ``save_search``."""
        data = self.cleaned_data
        return {
            "query": (data.get("q") or "").strip(),
            "filters": {
                "category": data.get("category") or "",
                "min_price": _price(data.get("min_price")),
                "max_price": _price(data.get("max_price")),
                "condition": data.get("condition") or "",
            },
            "frequency": data["frequency"],
        }


def _price(value) -> str:
    return listing_rules.price_string(value) if value is not None else ""


def search_fields(params: dict) -> dict:
    """The part of valid ``/search/`` parameters a saved search keeps (none empty)."""
    return {name: params[name] for name in SEARCH_FIELDS if params.get(name) not in (None, "")}
