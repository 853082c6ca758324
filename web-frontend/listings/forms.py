"""The create-listing form; it checks the listing rules models-api enforces
(mpcommon.listing_rules) so the user sees mistakes next to the field at once."""

from __future__ import annotations

from django import forms

from mpcommon import listing_rules


class ListingForm(forms.Form):
    title = forms.CharField(
        max_length=listing_rules.TITLE_MAX_LENGTH,
        help_text="What you are selling, in a few words.",
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    description = forms.CharField(
        max_length=listing_rules.DESCRIPTION_MAX_LENGTH,
        help_text="Size, age, flaws, pick-up or shipping: what a buyer needs to know.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    price = forms.DecimalField(
        min_value=listing_rules.MIN_PRICE,
        max_value=listing_rules.MAX_PRICE,
        max_digits=listing_rules.PRICE_MAX_DIGITS,
        decimal_places=listing_rules.PRICE_DECIMAL_PLACES,
        help_text="In dollars, for example 25 or 19.99.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    category = forms.ChoiceField(choices=())
    condition = forms.ChoiceField(
        choices=[("", "Not specified"), *listing_rules.CONDITIONS],
        required=False,
        initial=listing_rules.DEFAULT_CONDITION,
    )

    def __init__(self, *args, categories: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Choose a category")] + [
            (c["slug"], c["name"]) for c in categories
        ]

    def api_payload(self) -> dict:
        """The cleaned data as the experience API expects it (price as a string)."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "price": listing_rules.price_string(data["price"]),
            "category": data["category"],
            "condition": data["condition"] or None,
        }
