"""Fixtures of the favourites tests: a seller's listing and a fan with headers."""

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
def fan(other_user):
    return other_user


@pytest.fixture
def fan_auth(other_authenticator) -> dict:
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
