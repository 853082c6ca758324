"""Fixtures shared by every test module of models-api."""

from __future__ import annotations

import pytest
from django.conf import settings
from model_bakery import baker
from rest_framework.test import APIClient

from catalogue.models import Category


def auth(authenticator) -> dict:
    """The header that makes a test client act for ``authenticator``'s owner."""
    return {"HTTP_X_AUTHENTICATOR": authenticator.token}


@pytest.fixture
def api_client() -> APIClient:
    """A client that presents the service token (what every real caller does)."""
    client = APIClient()
    client.credentials(HTTP_X_SERVICE_TOKEN=settings.SERVICE_TOKEN)
    return client


@pytest.fixture
def anonymous_client() -> APIClient:
    """A client without the service token."""
    return APIClient()


@pytest.fixture
def user(db):
    return baker.make("accounts.User", username="alice", email="alice@example.com")


@pytest.fixture
def other_user(db):
    return baker.make("accounts.User", username="bob", email="bob@example.com")


@pytest.fixture
def authenticator(user):
    return baker.make("accounts.Authenticator", owner=user)


@pytest.fixture
def other_authenticator(other_user):
    return baker.make("accounts.Authenticator", owner=other_user)


@pytest.fixture
def category(db) -> Category:
    """A seeded category (migration 0002)."""
    return Category.objects.get(slug="electronics")


@pytest.fixture
def make_listing(db, user, category):
    """Factory: a listing of ``user`` in ``category`` unless told otherwise."""

    def make(**fields):
        fields.setdefault("seller", user)
        fields.setdefault("category", category)
        fields.setdefault("title", "Vintage camera")
        fields.setdefault("description", "Works fine.")
        fields.setdefault("price", "25.00")
        return baker.make("catalogue.Listing", **fields)

    return make


# ---- people of the trade, favourites and alerts tests: a seller with a listing, the
# other user (buyer, fan or searcher in each app's own conftest) and a third one.
@pytest.fixture
def seller(user):
    return user


@pytest.fixture
def seller_auth(authenticator) -> dict:
    return auth(authenticator)


@pytest.fixture
def third_user(db):
    return baker.make("accounts.User", username="carol", email="carol@example.com")


@pytest.fixture
def third_auth(third_user) -> dict:
    return auth(baker.make("accounts.Authenticator", owner=third_user))


@pytest.fixture
def listing(make_listing):
    return make_listing(title="Road bike", price="350.00")
