"""The create-listing form; its rules mirror models-api's Listing model."""

from __future__ import annotations

from decimal import Decimal

from django import forms

# models-api catalogue.models: title 1..120 characters, description up to 5000,
# price 0..1,000,000.00 with two decimals, category by slug, condition (default good).
TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 5000
MAX_PRICE = Decimal("1000000.00")
CONDITION_CHOICES = [
    ("new", "New"),
    ("like_new", "Like new"),
    ("good", "Good"),
    ("fair", "Fair"),
    ("poor", "Poor"),
]


class ListingForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        help_text="What you are selling, in a few words.",
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        help_text="Size, age, flaws, pick-up or shipping: what a buyer needs to know.",
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    price = forms.DecimalField(
        min_value=Decimal("0"),
        max_value=MAX_PRICE,
        max_digits=9,
        decimal_places=2,
        help_text="In dollars, for example 25 or 19.99.",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    category = forms.ChoiceField(choices=())
    condition = forms.ChoiceField(
        choices=[("", "Not specified")] + CONDITION_CHOICES, required=False, initial="good"
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
            "price": f"{data['price']:.2f}",
            "category": data["category"],
            "condition": data["condition"] or None,
        }
