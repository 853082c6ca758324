"""Reads of the viewer's favourites from models-api.

The page of favourites is never cached. The hearts' state (which of a page's listings
the viewer favourited) is asked by every logged-in page with cards, so it is cached in
Redis per user and set of ids, under a per-user generation that every favourite or
unfavourite through this API replaces (``forget_favourite_ids``): a write is seen by the
very next page, and a read that raced the write can only fill the old, unreachable key.
Uncached it was a models-api round trip of ~13 ms on each such page, half a logged-in
home page's time (pages benchmark, issue 13).
"""

from __future__ import annotations

import hashlib
import math
import uuid

from django.conf import settings
from django.core.cache import cache

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


GENERATION_TTL_SECONDS = 24 * 3600


def generation_key(user_id: int) -> str:
    return f"favourites:gen:{user_id}"


# ``favourited_ids(generation=...)`` when the caller did not read the cache itself.
NOT_READ = object()


def favourited_ids(*, user: ApiUser, listing_ids: list[int], generation=NOT_READ) -> dict:
    """``{"favourited": [ids]}``: which of ``listing_ids`` the user favourited (for the
    hearts on a page of cards), cached (module docstring). No ids, no call.
    ``generation``: what the caller already read at ``generation_key(user.id)`` along
    with other keys (None: nothing there)."""
    if not listing_ids:
        return {"favourited": []}
    if generation is NOT_READ:
        generation = cache.get(generation_key(user.id))
    generation = generation or "0"
    digest = hashlib.blake2b(",".join(map(str, listing_ids)).encode(), digest_size=16).hexdigest()
    key = f"favourites:ids:{user.id}:{generation}:{digest}"
    found = cache.get(key)
    if found is None:
        found = models_api.get_client().favourited_ids(
            authenticator=user.token, listing_ids=listing_ids
        )
        cache.set(key, found, settings.FAVOURITE_IDS_CACHE_SECONDS)
    return {"favourited": found}


def forget_favourite_ids(user_id: int) -> None:
    """After a favourite or unfavourite: a new generation, so every cached answer of
    this user is unreachable at once (Redis down: they expire within the cache TTL)."""
    cache.set(generation_key(user_id), uuid.uuid4().hex, GENERATION_TTL_SECONDS)
