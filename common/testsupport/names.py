"""Unique names, so every run creates its own users and listings."""

from __future__ import annotations

import secrets
import string


def unique_word(prefix: str = "zq", letters: int = 10) -> str:
    """A made-up lower-case word: ``prefix`` and random letters (letters only, so search
    analyzers keep it whole; long enough for a two-edit typo to still find it). Also a
    valid username."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(letters))
