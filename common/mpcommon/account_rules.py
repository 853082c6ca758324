"""The rules of a user's fields, in one place for every tier (like ``listing_rules``).

models-api enforces them (model and API validation); the experience API checks them
first; the web sign-up form mirrors them for the user. Only the rule that needs the
database (a username already taken, ignoring case) is models-api's alone.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

USERNAME_MAX_LENGTH = 150
DISPLAY_NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8

# Letters, digits and @ . + - _ (Django's rule: what the model field validates too).
username_validator = UnicodeUsernameValidator()

# The user attributes a password must not resemble, and the validators themselves:
# models-api's AUTH_PASSWORD_VALIDATORS is this list, so Django's own tools agree.
PASSWORD_SIMILARITY_ATTRIBUTES = ("username", "email", "display_name")
PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": PASSWORD_SIMILARITY_ATTRIBUTES},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


@functools.cache
def _password_validators() -> list:
    # Built once per process: the common-password list is read from disk.
    return password_validation.get_password_validators(PASSWORD_VALIDATORS)


class _Candidate(SimpleNamespace):
    """What Django's similarity validator reads from a user: the attribute values and,
    for its message, each field's verbose name (as models-api's User model names them)."""

    class _meta:  # noqa: N801 - the name Django's validator looks up
        @staticmethod
        def get_field(name: str) -> SimpleNamespace:
            return SimpleNamespace(verbose_name=name.replace("_", " "))


def password_problems(
    password: str, *, username: str = "", email: str = "", display_name: str = ""
) -> list[str]:
    """Every message the password rules have about ``password`` ([] when it is fine).

    The other fields are what the password must not resemble; pass those known (an
    invalid one may be left empty).
    """
    candidate = _Candidate(username=username, email=email, display_name=display_name)
    try:
        password_validation.validate_password(
            password, user=candidate, password_validators=_password_validators()
        )
    except ValidationError as exc:
        return list(exc.messages)
    return []
