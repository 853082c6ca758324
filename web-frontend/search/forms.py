"""Search parameters (CONTRACTS.md /search/): checked before they go to the API."""

from __future__ import annotations

from django import forms

from mpcommon import listing_rules

SORT_CHOICES = [
    ("relevance", "Best match"),
    ("hot", "Popular now"),
    ("newest", "Newest first"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
]
# experience-api refuses deeper pages (SEARCH_MAX_PAGE, default 50) and prices outside
# the listing rules.
MAX_PAGE = 50


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search for")
    category = forms.SlugField(required=False, max_length=listing_rules.CATEGORY_SLUG_MAX_LENGTH)
    min_price = forms.DecimalField(
        required=False,
        min_value=listing_rules.MIN_PRICE,
        max_value=listing_rules.MAX_PRICE,
        max_digits=listing_rules.PRICE_MAX_DIGITS,
        decimal_places=listing_rules.PRICE_DECIMAL_PLACES,
        label="Min price",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    max_price = forms.DecimalField(
        required=False,
        min_value=listing_rules.MIN_PRICE,
        max_value=listing_rules.MAX_PRICE,
        max_digits=listing_rules.PRICE_MAX_DIGITS,
        decimal_places=listing_rules.PRICE_DECIMAL_PLACES,
        label="Max price",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort by")
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum must be at least the minimum.")
        return cleaned

    def api_params(self) -> dict:
        """Valid parameters only: a bad one is shown as an error and left out."""
        cleaned = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        params = {
            "q": (cleaned.get("q") or "").strip(),
            "category": cleaned.get("category") or "",
            "min_price": _price(cleaned.get("min_price")),
            "max_price": _price(cleaned.get("max_price")),
            "sort": cleaned.get("sort") or "",
            "page": cleaned.get("page") or 1,
        }
        return {k: v for k, v in params.items() if v not in ("", None)}


def _price(value) -> str:
    return listing_rules.price_string(value) if value is not None else ""
