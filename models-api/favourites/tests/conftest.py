"""Fixtures of the favourites tests: the fan and their headers (the seller, a third user
and the listing are in models-api's conftest)."""

from __future__ import annotations

import pytest

from conftest import auth


@pytest.fixture
def fan(other_user):
    return other_user


@pytest.fixture
def fan_auth(other_authenticator) -> dict:
    return auth(other_authenticator)
