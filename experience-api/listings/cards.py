"""The card: a listing as shown in a list (docs/internal-contracts.md)."""

CARD_FIELDS = (
    "id",
    "title",
    "price",
    "category",
    "condition",
    "status",
    "seller",
    "view_count",
    "created_at",
)
# Every key of a card: the listing's own fields above, plus the cover derived from its
# photos (docs/selling-and-buying.md, "Experience API additions").
CARD_KEYS = (*CARD_FIELDS, "cover")


def cover_of(listing: dict) -> dict | None:
    """The listing's cover: its first photo (models-api lists them in position order),
    or None without any (and for listings represented before photos existed)."""
    photos = listing.get("photos") or []
    return photos[0] if photos else None


def card(listing: dict) -> dict:
    """Project a models-api listing onto the card shape."""
    return {**{name: listing.get(name) for name in CARD_FIELDS}, "cover": cover_of(listing)}
