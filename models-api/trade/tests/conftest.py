"""Fixtures of the trade tests: the buyer and their headers (the seller, a third user and
the listing are in models-api's conftest)."""

from __future__ import annotations

import pytest

from conftest import auth


@pytest.fixture
def buyer(other_user):
    return other_user


@pytest.fixture
def buyer_auth(other_authenticator) -> dict:
    return auth(other_authenticator)
