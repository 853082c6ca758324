"""Unique, search-friendly names so every run creates its own users and listings."""

from __future__ import annotations

import uuid


def unique_word(prefix: str = "zq") -> str:
    """A made-up lower-case word (letters only, so search analyzers keep it whole)."""
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])
    return prefix + letters
