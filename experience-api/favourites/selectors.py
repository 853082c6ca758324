"""Reads of the viewer's favourites from models-api.

The page of favourites is never cached. The hearts' state (which of a page's listings
the viewer favourited) is asked by every logged-in page with cards, so it is cached in
Redis per user and set of ids, under a per-user generation that every favourite or
unfavourite through this API replaces (``forget_favourite_ids``): a write is seen by the
very next page, and a read that raced the write stores the generation it was asked
under, which no longer counts.
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


def ids_key(user_id: int, listing_ids: list[int]) -> str:
    """Where the answer for this user and set of ids is kept. The generation it was
    asked under is stored in the entry (not in the key), so a page can read the entry
    in the same round trip as the generation."""
    digest = hashlib.blake2b(",".join(map(str, listing_ids)).encode(), digest_size=16).hexdigest()
    return f"favourites:ids:v2:{int(user_id)}:{digest}"


# ``favourited_ids(known=...)`` when the caller did not read the cache itself.
NOT_READ = object()


def favourited_ids(*, user: ApiUser, listing_ids: list[int], known=NOT_READ) -> dict:
    """``{"favourited": [ids]}``: which of ``listing_ids`` the user favourited (for the
    hearts on a page of cards), cached (module docstring). No ids, no call.

    An entry counts only if it was asked under the user's current generation: a read
    that raced a favourite stored the generation it started with, which a favourite
    has replaced, so the next page asks again. ``known``: what the caller already read
    at ``generation_key(user.id)`` and ``ids_key(user.id, listing_ids)`` (a dict of
    those keys; absent: nothing there), in one round trip with other keys.
    """
    if not listing_ids:
        return {"favourited": []}
    gen_key, key = generation_key(user.id), ids_key(user.id, listing_ids)
    if known is NOT_READ:
        known = cache.get_many([gen_key, key])
    generation = known.get(gen_key) or "0"
    entry = known.get(key)
    if isinstance(entry, dict) and entry.get("generation") == generation:
        return {"favourited": entry["favourited"]}
    found = models_api.get_client().favourited_ids(
        authenticator=user.token, listing_ids=listing_ids
    )
    cache.set(
        key, {"generation": generation, "favourited": found}, settings.FAVOURITE_IDS_CACHE_SECONDS
    )
    return {"favourited": found}


def forget_favourite_ids(user_id: int) -> None:
    """After a favourite or unfavourite: a new generation, so every cached answer of
    this user is unreachable at once (Redis down: they expire within the cache TTL)."""
    cache.set(generation_key(user_id), uuid.uuid4().hex, GENERATION_TTL_SECONDS)
