"""Favouriting and unfavouriting a listing (models-api keeps the rows and the count).

Favouriting is not a listing change (no event, no version bump), so no cached page is
dropped: a listing's cached detail shows its favourite count at most its cache
lifetime old.
"""

from __future__ import annotations

from accounts.users import ApiUser
from clients import models_api


def favourite(*, user: ApiUser, listing_id: int) -> dict:
    """Make the listing one of the user's favourites (idempotent);
    ``{"listing", "favourited": true, "count"}``. NotFound for an unknown listing,
    PermissionDenied when models-api refuses it."""
    return models_api.get_client().add_favourite(authenticator=user.token, listing_id=listing_id)


def unfavourite(*, user: ApiUser, listing_id: int) -> dict:
    """The listing is no longer one of the user's favourites (idempotent);
    ``{"listing", "favourited": false, "count"}``."""
    return models_api.get_client().remove_favourite(authenticator=user.token, listing_id=listing_id)
