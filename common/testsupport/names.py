"""Unique names, so every run creates its own users and listings."""

from __future__ import annotations

import secrets
import string


def unique_word(prefix: str = "zq", letters: int = 10) -> str:
    """A made-up lower-case word: ``prefix`` and random letters (letters only, so search
    analyzers keep it whole; long enough for a two-edit typo to still find it). Also a
    valid username."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(letters))


def unique_password() -> str:
    """A fresh password the password rules always accept for a ``unique_word`` user.

    Its random part is digits, so it can never resemble a username or an address made of
    letters (Django's similarity rule): a password of random letters beside such a name
    was refused about once in 60 runs ("Sel-new<letters>-Reset" for "selreset<letters>").
    """
    return "Pw-" + "".join(secrets.choice(string.digits) for _ in range(12)) + "-Kq!"
