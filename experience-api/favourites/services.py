"""Favouriting and unfavouriting a listing (models-api keeps the rows and the count).

Favouriting is not a listing change (no event, no version bump), so no cached page is
dropped: a listing's cached detail shows its favourite count at most its cache
lifetime old.
"""

from __future__ import annotations

from accounts.users import ApiUser
from clients import models_api
from favourites.selectors import forget_favourite_ids


def favourite(*, user: ApiUser, listing_id: int) -> dict:
    """Make the listing one of the user's favourites (idempotent);
    ``{"listing", "favourited": true, "count"}``. NotFound for an unknown listing,
    PermissionDenied when models-api refuses it."""
    try:
        return models_api.get_client().add_favourite(
            authenticator=user.token, listing_id=listing_id
        )
    finally:  # even a failed call may have changed the row (a timeout after the write)
        forget_favourite_ids(user.id)


def unfavourite(*, user: ApiUser, listing_id: int) -> dict:
    """The listing is no longer one of the user's favourites (idempotent);
    ``{"listing", "favourited": false, "count"}``."""
    try:
        return models_api.get_client().remove_favourite(
            authenticator=user.token, listing_id=listing_id
        )
    finally:  # even a failed call may have changed the row (a timeout after the write)
        forget_favourite_ids(user.id)
