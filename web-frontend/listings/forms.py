"""The create and edit listing forms; they check the listing and photo rules models-api
enforces (mpcommon.listing_rules, photo_rules) so the user sees mistakes next to the
field at once. Only counts and sizes are checked here: decoding stays in models-api."""

from __future__ import annotations

from django import forms
from django.conf import settings

from mpcommon import listing_rules, photo_rules


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Zero or more uploaded files under one name; each at most MAX_PHOTO_BYTES."""

    widget = MultiplePhotoInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"accept": photo_rules.ACCEPT_ATTRIBUTE, "multiple": True})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if any(f.size > photo_rules.MAX_PHOTO_BYTES for f in files):
            raise forms.ValidationError(photo_rules.MESSAGE_TOO_LARGE, code="too_large")
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


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
    photos = MultiplePhotoField(
        help_text=(
            f"JPEG, PNG or WebP; up to {photo_rules.MAX_PHOTOS_PER_LISTING} photos, "
            f"{photo_rules.MAX_PHOTO_BYTES // (1024 * 1024)} MB each. The first is the cover."
        ),
    )

    def __init__(self, *args, categories: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Choose a category")] + [
            (c["slug"], c["name"]) for c in categories
        ]
        if not settings.PHOTO_UPLOADS_ENABLED:
            del self.fields["photos"]

    def kept_photo_count(self) -> int:
        return 0

    def clean_photos(self):
        photos = self.cleaned_data.get("photos") or []
        if self.kept_photo_count() + len(photos) > photo_rules.MAX_PHOTOS_PER_LISTING:
            raise forms.ValidationError(photo_rules.MESSAGE_TOO_MANY, code="too_many")
        return photos

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


STALE_PHOTOS_MESSAGE = (
    "The photos of this listing changed since this page was opened (was the form sent "
    "twice?). Nothing was saved: check the photos below and save again."
)


class EditListingForm(ListingForm):
    """The create form's fields plus the listing's photos: for each a "remove" checkbox
    (``remove_<id>``) and a position number (``position_<id>``), so the photos can be
    reordered and removed without JavaScript."""

    def __init__(self, *args, photos: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_photos = [p for p in photos if isinstance(p, dict) and "id" in p]
        for index, photo in enumerate(self.existing_photos, start=1):
            pk = int(photo["id"])
            self.fields[f"remove_{pk}"] = forms.BooleanField(
                required=False,
                label="Remove",
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"position_{pk}"] = forms.IntegerField(
                required=False,  # a missing one means a stale form: see clean()
                min_value=1,
                max_value=photo_rules.MAX_PHOTOS_PER_LISTING * 2,
                initial=index,
                label="Position",
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )
        # clean_photos must see the checkboxes and positions: check the photos last.
        if "photos" in self.fields:
            self.fields["photos"] = self.fields.pop("photos")

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and any(
            f"position_{int(photo['id'])}" not in self.data for photo in self.existing_photos
        ):
            # The listing has photos this form did not show: it was opened before they
            # were added (in another tab, or this very form sent twice). Saving it would
            # upload its files a second time, so nothing is sent.
            raise forms.ValidationError(STALE_PHOTOS_MESSAGE, code="stale")
        return cleaned

    def photo_rows(self) -> list[dict]:
        """Each existing photo with its two bound fields, for the template."""
        return [
            {
                "photo": photo,
                "remove": self[f"remove_{int(photo['id'])}"],
                "position": self[f"position_{int(photo['id'])}"],
            }
            for photo in self.existing_photos
        ]

    def kept_photo_count(self) -> int:
        return len(self.photo_order())

    def photo_order(self) -> list[int]:
        """The ids of the photos not marked for removal, by their position input (ties
        keep the current order)."""
        data = getattr(self, "cleaned_data", {})
        kept = []
        for index, photo in enumerate(self.existing_photos):
            pk = int(photo["id"])
            if data.get(f"remove_{pk}"):
                continue
            position = data.get(f"position_{pk}")
            kept.append((position if position is not None else index + 1, index, pk))
        return [pk for _, _, pk in sorted(kept)]

    def api_fields(self) -> dict:
        """The listing's writable fields for the PATCH (condition None clears it)."""
        return self.api_payload()
