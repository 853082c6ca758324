"""Fixtures shared by every test module of models-api."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection, connections
from model_bakery import baker
from rest_framework.test import APIClient

from catalogue.models import Category

# How long a race test waits for its threads to queue on a lock, and to finish.
RACE_WAIT_LIMIT_S = 30


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def race_on_row_lock(table: str, row_id: int, calls: list[Callable[[], None]]) -> None:
    """Run ``calls`` at the same moment on committed data (a ``transaction=True`` test):
    a third connection holds the row lock of ``table`` row ``row_id`` until every call,
    each in a thread and connection of its own, is queued on it; then it lets them go
    and waits for them. A call records its own outcome."""

    def run(call: Callable[[], None]) -> None:
        try:
            call()
        finally:
            connections.close_all()

    blocker = connections.create_connection("default")
    try:
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:
            # ``table`` is a name the test wrote, never input.
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [row_id])  # noqa: S608
        workers = [threading.Thread(target=run, args=(call,)) for call in calls]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + RACE_WAIT_LIMIT_S
        while _waiting_on_locks() < len(calls) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_locks() == len(calls)
        blocker.rollback()
    finally:
        blocker.close()
    for worker in workers:
        worker.join(RACE_WAIT_LIMIT_S)


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
