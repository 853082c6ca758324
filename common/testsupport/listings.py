"""Listings through the public API."""

from __future__ import annotations

import requests

from testsupport.accounts import TIMEOUT, bearer

# Seeded by models-api's migrations on every stack.
DEFAULT_CATEGORY = "electronics"


def listing_fields(**overrides) -> dict:
    """A valid body for ``POST /api/v1/listings``; ``overrides`` replace or add fields."""
    fields = {
        "title": "Live suite listing",
        "description": "Created by a test suite, please ignore.",
        "price": "12.50",
        "category": DEFAULT_CATEGORY,
    }
    fields.update(overrides)
    return fields


def create_listing(
    api: str, token: str, *, http: requests.Session | None = None, **overrides
) -> dict:
    """Create a listing as the owner of ``token`` (asserting 201); the listing as answered."""
    response = (http or requests).post(
        f"{api}/listings", json=listing_fields(**overrides), headers=bearer(token), timeout=TIMEOUT
    )
    assert response.status_code == 201, f"create listing: {response.status_code} {response.text}"
    return response.json()
