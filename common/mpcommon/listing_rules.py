"""The rules of a listing's fields, in one place for every tier.

models-api enforces them (model, database constraints, API validation); the experience
API checks them first for a cheap 400; the web form mirrors them for the user; the
event schema documents them. All of them read the numbers from here, so a rule changes
in one line. Plain values only (no Django), so any tier can import it.
"""

from __future__ import annotations

from decimal import Decimal

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 5000
CATEGORY_SLUG_MAX_LENGTH = 50

# Prices: 0 to 1,000,000.00 with at most two decimals (NUMERIC(9, 2) in the database),
# sent as strings with exactly two decimals ("12.50").
MIN_PRICE = Decimal("0")
MAX_PRICE = Decimal("1000000.00")
PRICE_MAX_DIGITS = 9
PRICE_DECIMAL_PLACES = 2
PRICE_PATTERN = r"^\d{1,7}\.\d{2}$"

# (value, label) pairs, in the order forms show them.
CONDITIONS: tuple[tuple[str, str], ...] = (
    ("new", "New"),
    ("like_new", "Like new"),
    ("good", "Good"),
    ("fair", "Fair"),
    ("poor", "Poor"),
)
DEFAULT_CONDITION = "good"
STATUSES: tuple[tuple[str, str], ...] = (
    ("active", "Active"),
    ("reserved", "Reserved"),
    ("sold", "Sold"),
    ("withdrawn", "Withdrawn"),
)
DEFAULT_STATUS = "active"
# What a seller may set directly (PATCH ``status``, the dashboard's buttons). ``reserved``
# is only ever set by accepting an order, and a reserved listing changes status only
# through its order (complete: sold; cancel: active again).
SELLER_SETTABLE_STATUSES = ("active", "withdrawn", "sold")
STATUS_RESERVED = "reserved"

CONDITION_VALUES = tuple(value for value, _ in CONDITIONS)
STATUS_VALUES = tuple(value for value, _ in STATUSES)
STATUS_LABELS = dict(STATUSES)
CONDITION_LABELS = dict(CONDITIONS)


def price_string(value: Decimal | int | float | str) -> str:
    """A price as the contract's string with exactly two decimals, e.g. ``"12.50"``."""
    return f"{Decimal(str(value)):.2f}"
