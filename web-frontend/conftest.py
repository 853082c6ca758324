"""Shared fixtures: the experience API stubbed at the HTTP boundary with ``responses``.

Shapes follow docs/internal-contracts.md ("Experience API shapes"). No test here opens a
network connection to a real service; an unstubbed call fails like an unreachable API.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.conf import settings

TOKEN = "tok_" + "A" * 39  # looks like models-api's 43-character URL-safe token

_ids = itertools.count(1000)


def api_url(path: str) -> str:
    return f"{settings.EXPERIENCE_API_URL}/api/v1/{path}"


def make_user(**overrides) -> dict:
    user = {
        "id": 7,
        "username": "alice",
        "display_name": "Alice A.",
        "date_joined": "2024-03-01T10:00:00Z",
    }
    user.update(overrides)
    return user


def make_card(**overrides) -> dict:
    listing_id = overrides.pop("id", next(_ids))
    card = {
        "id": listing_id,
        "title": f"Listing {listing_id}",
        "price": "1234.50",
        "category": {"slug": "furniture", "name": "Furniture"},
        "condition": "good",
        "status": "active",
        "seller": {"id": 7, "username": "alice", "display_name": "Alice A."},
        "view_count": 3,
        "created_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
    }
    card.update(overrides)
    return card


def make_listing(**overrides) -> dict:
    listing = make_card(**overrides)
    listing.setdefault("description", "A fine thing.\nBarely used.")
    listing.setdefault("updated_at", listing["created_at"])
    listing.setdefault("version", 1)
    listing.setdefault("recommendations", [])
    return listing


CATEGORIES = [
    {"slug": "furniture", "name": "Furniture"},
    {"slug": "electronics", "name": "Electronics"},
    {"slug": "books", "name": "Books"},
]


class StubbedApi:
    """A thin helper over a RequestsMock with the experience API's common answers."""

    def __init__(self, mock: responses.RequestsMock):
        self.mock = mock

    def add(self, method: str, path: str, *, status: int = 200, body=None, **kwargs):
        kwargs.setdefault("json", body if body is not None else {})
        return self.mock.add(method, api_url(path), status=status, **kwargs)

    def get(self, path: str, body=None, **kwargs):
        return self.add("GET", path, body=body, **kwargs)

    def post(self, path: str, body=None, **kwargs):
        return self.add("POST", path, body=body, **kwargs)

    def down(self, method: str, path: str, exc: Exception | None = None):
        import requests

        return self.mock.add(method, api_url(path), body=exc or requests.ConnectionError("refused"))

    def calls_to(self, method: str, path: str) -> list:
        url = api_url(path)
        return [
            c
            for c in self.mock.calls
            if c.request.method == method and c.request.url.split("?")[0] == url
        ]

    def json_sent(self, method: str, path: str) -> list[dict]:
        return [json.loads(c.request.body) for c in self.calls_to(method, path)]

    # common stubs
    def me(self, user=None):
        return self.get("me", {**make_user(), "email": "alice@example.com", **(user or {})})

    def me_expired(self):
        return self.get(
            "me",
            {"error": "not_authenticated", "detail": "Authenticator expired."},
            status=401,
        )

    def home(self, newest=None, popular=None):
        return self.get(
            "home",
            {
                "newest": newest if newest is not None else [make_card() for _ in range(3)],
                "popular": popular if popular is not None else [make_card() for _ in range(2)],
            },
        )

    def categories(self):
        return self.get("categories", {"categories": CATEGORIES})


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield StubbedApi(mock)


@pytest.fixture
def logged_in(client, api):
    """The test client carries a valid auth cookie; /me answers with alice."""
    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    api.me()
    return client
