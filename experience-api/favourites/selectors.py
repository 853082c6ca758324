"""Reads of the viewer's favourites from models-api (never cached: private, and they
change with every click)."""

from __future__ import annotations

import math

from accounts.users import ApiUser
from clients import models_api
from listings.cards import card
from mpcommon.account_rules import FAVOURITES_PAGE_SIZE


def favourites_page(*, user: ApiUser, page: int) -> dict:
    """One page of the user's favourite listings as cards, newest favourite first:
    ``{"results": [card], "total", "page", "pages"}``."""
    answer = models_api.get_client().list_favourites(
        authenticator=user.token, page=page, page_size=FAVOURITES_PAGE_SIZE
    )
    total = answer["count"]
    return {
        "results": [card(listing) for listing in answer["results"]],
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / FAVOURITES_PAGE_SIZE)),
    }


def favourited_ids(*, user: ApiUser, listing_ids: list[int]) -> dict:
    """``{"favourited": [ids]}``: which of ``listing_ids`` the user favourited (for the
    hearts on a page of cards). No ids, no call."""
    if not listing_ids:
        return {"favourited": []}
    return {
        "favourited": models_api.get_client().favourited_ids(
            authenticator=user.token, listing_ids=listing_ids
        )
    }
