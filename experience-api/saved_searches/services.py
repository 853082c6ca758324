"""Saving, changing and deleting the viewer's searches (models-api keeps them and
records the events the alerts worker indexes; docs/accounts-and-notifications.md)."""

from __future__ import annotations

from accounts.users import ApiUser
from clients import models_api


def save_search(*, user: ApiUser, search: dict) -> tuple[dict, bool]:
    """Save a search for alerts; ``(saved_search, created)``.

    ``created`` is False when the user had already saved the same search (models-api
    answers 200 with it): a double-submitted form keeps one. Raises ValidationFailed
    (bad fields, or over the cap: ``non_field_errors``).
    """
    return models_api.get_client().create_saved_search(authenticator=user.token, data=search)


def change_saved_search(*, user: ApiUser, saved_search_id: int, changes: dict) -> dict:
    """Pause/resume or change the frequency of one of the user's saved searches.
    Raises PermissionDenied (not the owner), NotFound, ValidationFailed."""
    return models_api.get_client().update_saved_search(
        authenticator=user.token, saved_search_id=saved_search_id, changes=changes
    )


def delete_saved_search(*, user: ApiUser, saved_search_id: int) -> None:
    """Delete one of the user's saved searches (PermissionDenied, NotFound)."""
    models_api.get_client().delete_saved_search(
        authenticator=user.token, saved_search_id=saved_search_id
    )
