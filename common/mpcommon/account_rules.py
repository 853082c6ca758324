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


# ---------------------------------------------------------------- profile, email, alerts
# (issue 13, docs/accounts-and-notifications.md)
BIO_MAX_LENGTH = 500

# Password reset links: Django's PasswordResetTokenGenerator (bound to the password
# hash, so single use) valid this long; the public token is "<uidb64>.<token>".
PASSWORD_RESET_TIMEOUT_SECONDS = 3600
RESET_TOKEN_SEPARATOR = "."
RESET_TOKEN_MAX_LENGTH = 200
MESSAGE_RESET_SENT = "If an account uses that address, a link to reset its password is on its way."
MESSAGE_RESET_TOKEN_INVALID = "This link is invalid or has expired."
MESSAGE_OLD_PASSWORD_WRONG = "Your old password was entered incorrectly."

# Per address and hour, then nothing more is written (the answer stays the same).
RESET_EMAILS_PER_HOUR = 3
ALERT_EMAILS_PER_HOUR = 20

# Email kinds (notifications_email.kind).
EMAIL_PASSWORD_RESET = "password_reset"
EMAIL_PASSWORD_CHANGED = "password_changed"
EMAIL_SAVED_SEARCH_ALERT = "saved_search_alert"
EMAIL_SAVED_SEARCH_DIGEST = "saved_search_digest"
EMAIL_PRICE_DROP = "price_drop"
EMAIL_OPERATOR_TEST = "operator_test"  # manage.py send_test_email
EMAIL_KINDS = (
    EMAIL_PASSWORD_RESET,
    EMAIL_PASSWORD_CHANGED,
    EMAIL_SAVED_SEARCH_ALERT,
    EMAIL_SAVED_SEARCH_DIGEST,
    EMAIL_PRICE_DROP,
    EMAIL_OPERATOR_TEST,
)
EMAIL_SUBJECT_MAX_LENGTH = 200

# Saved searches.
MAX_SAVED_SEARCHES = 20
SAVED_SEARCH_QUERY_MAX_LENGTH = 200
SAVED_SEARCH_FREQUENCIES = (("instant", "As soon as it is listed"), ("daily", "Daily digest"))
SAVED_SEARCH_FREQUENCY_VALUES = tuple(value for value, _ in SAVED_SEARCH_FREQUENCIES)
DEFAULT_SAVED_SEARCH_FREQUENCY = "instant"
SAVED_SEARCH_FILTERS = ("category", "min_price", "max_price", "condition")
MESSAGE_TOO_MANY_SAVED_SEARCHES = f"You can keep at most {MAX_SAVED_SEARCHES} saved searches."

# Favourites listed per page (the /favourites/ page and API).
FAVOURITES_PAGE_SIZE = 24
