"""Wire formats shared by every representation (contract: ISO 8601 UTC, 2-dp prices)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal


def iso_utc(value: datetime | None) -> str | None:
    """``2026-11-21T07:00:00.123456Z`` (always UTC, always with the ``Z`` suffix)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def price_string(value: Decimal | str) -> str:
    """A price as a string with exactly two decimals, e.g. ``"12.50"``."""
    return f"{Decimal(str(value)):.2f}"
