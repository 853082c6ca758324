"""Fixtures of the alerts tests: the searcher (a saved search's owner) and their headers;
the seller, a third user and the listing are in models-api's conftest."""

from __future__ import annotations

import pytest
from model_bakery import baker

from conftest import auth


@pytest.fixture
def searcher(other_user):
    return other_user


@pytest.fixture
def searcher_auth(other_authenticator) -> dict:
    return auth(other_authenticator)


@pytest.fixture
def make_search(db):
    """Factory: a saved search of ``user`` (no event: straight into the table)."""

    def make(user, query="bike", filters=None, **fields):
        return baker.make(
            "alerts.SavedSearch", user=user, query=query, filters=filters or {}, **fields
        )

    return make
