"""Shared test fixtures: stubbed models-api (``responses``), an isolated cache, data builders."""

from __future__ import annotations

import itertools
import re

import pytest
import responses
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from caching import cache as page_cache
from clients import models_api
from clients import search as search_client
from mpcommon.events import LISTING_CREATED, encode, listing_event

MODELS = settings.MODELS_API_URL + "/api/v1"
TOKEN = "a" * 64
USER = {
    "id": 7,
    "username": "ada",
    "display_name": "Ada L.",
    "email": "ada@example.com",
    "date_joined": "2026-11-01T10:00:00Z",
}
_ids = itertools.count(100)


def a_listing(**overrides) -> dict:
    """A listing as models-api represents it."""
    listing_id = overrides.pop("id", next(_ids))
    listing = {
        "id": listing_id,
        "title": f"Listing {listing_id}",
        "description": "Nice thing",
        "price": "12.50",
        "category": {"slug": "home", "name": "Home & Garden"},
        "condition": "good",
        "status": "active",
        "seller": {"id": 7, "username": "ada", "display_name": "Ada L."},
        "view_count": 3,
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        "version": 1,
    }
    listing.update(overrides)
    return listing


def a_listing_created_event(listing_id: int) -> bytes:
    """A ``listing.created`` Kafka message as the outbox relay publishes it."""
    return encode(listing_event(LISTING_CREATED, listing_id, 1, a_listing(id=listing_id)))


# A cache whose Redis never answers: for the "Redis down = uncached" paths.
REDIS_DOWN_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def a_page(listings: list[dict], count: int | None = None) -> dict:
    return {
        "count": len(listings) if count is None else count,
        "page": 1,
        "page_size": 20,
        "next": None,
        "previous": None,
        "results": listings,
    }


@pytest.fixture(autouse=True)
def isolated_state():
    """Fresh clients and an empty cache (our key prefix only) around every test; no
    background cache refresh of one test outlives it (it would call the next test's
    stubs)."""
    models_api.reset_client()
    search_client.reset_client()
    cache.delete_pattern("*")
    yield
    page_cache.wait_for_background_refreshes()
    cache.delete_pattern("*")


@pytest.fixture
def models():
    """models-api stubbed at the HTTP boundary; unexpected calls fail as connection errors."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        yield stub


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def signed_in(api, models):
    """An API client sending a valid Bearer authenticator (resolved by the stub)."""
    models.add(
        responses.POST,
        MODELS + "/authenticators/resolve",
        json={"user": USER, "expires_at": "2099-01-01T00:00:00Z"},
        match=[responses.matchers.json_params_matcher({"token": TOKEN})],
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return api


def listings_url() -> re.Pattern:
    """GET /listings with any query string."""
    return re.compile(re.escape(MODELS + "/listings") + r"(\?.*)?$")


def calls_to(stub: responses.RequestsMock, method: str, path: str) -> list:
    return [
        call
        for call in stub.calls
        if call.request.method == method and call.request.path_url.split("?")[0].endswith(path)
    ]
