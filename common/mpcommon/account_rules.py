"""The rules of a user's fields, in one place for every tier (like ``listing_rules``).

models-api enforces them (model and API validation); the experience API checks them
first; the web sign-up form mirrors them for the user.
"""

from __future__ import annotations

USERNAME_MAX_LENGTH = 150
DISPLAY_NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
