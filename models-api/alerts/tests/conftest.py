"""Fixtures of the alerts tests: a seller, a searcher (a saved search's owner), headers."""

from __future__ import annotations

import pytest
from model_bakery import baker


def auth(authenticator) -> dict:
    return {"HTTP_X_AUTHENTICATOR": authenticator.token}


@pytest.fixture
def seller(user):
    return user


@pytest.fixture
def seller_auth(authenticator) -> dict:
    return auth(authenticator)


@pytest.fixture
def searcher(other_user):
    return other_user


@pytest.fixture
def searcher_auth(other_authenticator) -> dict:
    return auth(other_authenticator)


@pytest.fixture
def third_user(db):
    return baker.make("accounts.User", username="carol", email="carol@example.com")


@pytest.fixture
def third_auth(third_user) -> dict:
    return auth(baker.make("accounts.Authenticator", owner=third_user))


@pytest.fixture
def listing(make_listing):
    return make_listing(title="Road bike", price="350.00")


@pytest.fixture
def make_search(db):
    """Factory: a saved search of ``user`` (no event: straight into the table)."""

    def make(user, query="bike", filters=None, **fields):
        return baker.make(
            "alerts.SavedSearch", user=user, query=query, filters=filters or {}, **fields
        )

    return make
