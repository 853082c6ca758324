"""Wire format of times (contract: ISO 8601 UTC); prices: ``mpcommon.listing_rules``."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(value: datetime | None) -> str | None:
    """``2026-11-21T07:00:00.123456Z`` (always UTC, always with the ``Z`` suffix)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
