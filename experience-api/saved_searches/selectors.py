"""Reads of the viewer's saved searches from models-api (never cached: private)."""

from __future__ import annotations

from accounts.users import ApiUser
from clients import models_api


def saved_searches(*, user: ApiUser) -> dict:
    """``{"results": [saved search]}``, newest first (at most MAX_SAVED_SEARCHES)."""
    return {"results": models_api.get_client().list_saved_searches(authenticator=user.token)}
