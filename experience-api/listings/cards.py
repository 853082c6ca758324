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


def card(listing: dict) -> dict:
    """Project a models-api listing onto the card shape."""
    return {name: listing.get(name) for name in CARD_FIELDS}
