"""Reads that compose the listing pages from models-api (cached where it pays)."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.cache import cache

from caching import cache as page_cache
from clients import models_api
from listings.cards import card
from mpcommon import listing_rules

logger = logging.getLogger(__name__)

HOME_LIST_SIZE = 12
PROFILE_PAGE_SIZE = 20
MAX_RECOMMENDATIONS = 12


def _home_page() -> tuple[dict, bool]:
    client = models_api.get_client()
    newest, popular = models_api.run_concurrently(
        lambda: client.list_listings(status="active", ordering="newest", page_size=HOME_LIST_SIZE),
        lambda: client.list_listings(
            status="active", ordering="most_viewed", page_size=HOME_LIST_SIZE
        ),
    )
    return {
        "newest": [card(item) for item in newest["results"]],
        "popular": [card(item) for item in popular["results"]],
    }, True


def home_page() -> dict:
    """``{"newest": [card x12], "popular": [card x12]}``, cached for HOME_CACHE_SECONDS."""
    return page_cache.get_or_compute(
        page_cache.HOME, _home_page, fresh_seconds=settings.HOME_CACHE_SECONDS
    )


def _recommendation_cards(listing_id: int) -> list[dict]:
    client = models_api.get_client()
    ids = client.get_recommendations(listing_id)[:MAX_RECOMMENDATIONS]
    if not ids:
        return []
    found = client.list_listings(ids=ids, status="active", page_size=len(ids))["results"]
    by_id = {item["id"]: item for item in found}
    # Keep the recommender's order; skip listings that are gone or no longer active.
    return [card(by_id[i]) for i in ids if i in by_id]


def _listing_detail(listing_id: int) -> tuple[dict, bool]:
    client = models_api.get_client()
    listing_call = models_api.submit(client.get_listing, listing_id)
    recommendations_call = models_api.submit(_recommendation_cards, listing_id)
    listing = listing_call.result()  # NotFound / ModelsApiUnavailable propagate
    try:
        recommendations, complete = recommendations_call.result(), True
    except models_api.ModelsApiError:
        # The listing still renders; the degraded page is not cached.
        logger.warning("recommendations unavailable", extra={"listing_id": listing_id})
        recommendations, complete = [], False
    return {**listing, "recommendations": recommendations}, complete


def listing_detail(listing_id: int) -> dict:
    """The listing (as models-api) plus ``recommendations`` cards; cached per listing."""
    return page_cache.get_or_compute(
        page_cache.listing_namespace(listing_id),
        lambda: _listing_detail(listing_id),
        fresh_seconds=settings.DETAIL_CACHE_SECONDS,
    )


def seller_cache_key(listing_id: int) -> str:
    return f"listing-seller:{int(listing_id)}"


def seller_keys(listing_id: int) -> list[str]:
    """The cache keys :func:`seller_id` reads (the caller may read them with others)."""
    return [
        page_cache.generation_key(page_cache.listing_namespace(listing_id)),
        seller_cache_key(listing_id),
    ]


# ``seller_id(known=...)`` when the caller did not read the cache itself.
NOT_READ = object()


def seller_id(listing_id: int, *, known=NOT_READ) -> int | None:
    """The id of the listing's seller (None if it has none), for the page-view rule of
    a viewer who does not need the whole page (accounts.api.ViewerView).

    Raises ``models_api.NotFound`` for a listing that does not exist (and
    ``ModelsApiUnavailable``). A seller never changes but a listing can go, so the
    answer is kept under the detail page's generation, which every change or deletion of
    the listing replaces, and for at most ``DETAIL_CACHE_SECONDS``: as fresh as the
    detail page it comes from. ``known``: what the caller already read at
    ``seller_keys(listing_id)`` (a dict of those keys; absent: nothing there). A hit
    costs no round trip of its own; a miss reads the cached detail page.
    """
    generation_key, key = seller_keys(listing_id)
    if known is NOT_READ:
        known = cache.get_many([generation_key, key])
    generation = known.get(generation_key) or 0
    entry = known.get(key)
    if isinstance(entry, dict) and entry.get("generation") == generation:
        return entry["seller_id"]
    seller = (listing_detail(listing_id).get("seller") or {}).get("id")
    # Under the generation read before the page: a change made meanwhile replaced it.
    cache.set(key, {"generation": generation, "seller_id": seller}, settings.DETAIL_CACHE_SECONDS)
    return seller


def categories() -> list[dict]:
    """The fixed, seeded set of categories (cached for CATEGORIES_CACHE_SECONDS)."""
    return page_cache.get_or_compute(
        page_cache.CATEGORIES,
        lambda: (models_api.get_client().list_categories(), True),
        fresh_seconds=settings.CATEGORIES_CACHE_SECONDS,
    )


PUBLIC_USER_FIELDS = ("id", "username", "display_name", "bio", "date_joined")


def public_user(user: dict) -> dict:
    """The user as anyone may see them: exactly the public fields (``bio`` "" when
    models-api has none), nothing else models-api may add."""
    shown = {name: user.get(name) for name in PUBLIC_USER_FIELDS}
    shown["bio"] = shown["bio"] or ""
    return shown


def user_profile(user_id: int, *, page: int) -> dict:
    """A public profile: the user (with their bio) and one page of their active
    listings (not cached)."""
    client = models_api.get_client()
    user, listings = models_api.run_concurrently(
        lambda: client.get_user(user_id),
        lambda: client.list_listings(
            seller=user_id,
            status="active",
            ordering="newest",
            page=page,
            page_size=PROFILE_PAGE_SIZE,
        ),
    )
    total = listings["count"]
    return {
        "user": public_user(user),
        "listings": [card(item) for item in listings["results"]],
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PROFILE_PAGE_SIZE)),
    }


DASHBOARD_PAGE_SIZE = 20
OPEN_ORDERS_PAGE_SIZE = 100


def dashboard(*, user, page: int, status: str | None) -> dict:
    """The seller's own listings in every status (not cached: private, changes with every
    action), each with its count of open order requests, and counts by status.

    One page of listings, the count of each status (page_size=1 calls) and the seller's
    requested orders run concurrently: 2 + len(STATUS_VALUES) calls whatever the page.
    """
    client = models_api.get_client()

    def count_of(value: str):
        return lambda: client.list_listings(seller=user.id, status=value, page_size=1)["count"]

    listings, requested, *counts = models_api.run_concurrently(
        lambda: client.list_listings(
            seller=user.id,
            status=status,
            ordering="newest",
            page=page,
            page_size=DASHBOARD_PAGE_SIZE,
        ),
        lambda: client.list_orders(
            authenticator=user.token,
            role="seller",
            status="requested",
            page=1,
            page_size=OPEN_ORDERS_PAGE_SIZE,
        ),
        *(count_of(value) for value in listing_rules.STATUS_VALUES),
    )
    open_orders: dict[int, int] = {}
    for order in requested["results"]:
        listing_id = (order.get("listing") or {}).get("id")
        if listing_id is not None:
            open_orders[listing_id] = open_orders.get(listing_id, 0) + 1
    total = listings["count"]
    return {
        "listings": [
            {**item, "open_orders": open_orders.get(item["id"], 0)} for item in listings["results"]
        ],
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / DASHBOARD_PAGE_SIZE)),
        "counts": dict(zip(listing_rules.STATUS_VALUES, counts, strict=True)),
    }
