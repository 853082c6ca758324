"""The real search engine, observed: every search test queries its own index.

``engine`` wraps the real client call (``clients.search.search_listings``) around the
test's ``listings_index`` (root conftest): it records the request bodies (how many
queries reached the engine, and what they asked) and can hold a query before it is sent
(``hold``: a slow engine, released by the test). The index starts with one listing,
``LAMP`` ("Brass lamp", id 1); tests change the data with ``engine.index.add`` and
``engine.index.remove``, and take the engine down with ``engine.unreachable()`` (a closed
port, so the real client fails as it does in production).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest

from clients import search as search_client
from conftest import CLOSED_PORT, ListingsIndex, a_listing

LAMP = {"id": 1, "title": "Brass lamp", "description": "Old but shiny"}


def lamp(**overrides) -> dict:
    """The listing a lamp search finds (id 1 unless told otherwise)."""
    return a_listing(**{**LAMP, **overrides})


class Engine:
    """The real search call with a recorder and an optional hold in front of it."""

    def __init__(self, real: Callable[[dict], dict], index: ListingsIndex, settings):
        self._real = real
        self._settings = settings
        self._lock = threading.Lock()
        self.index = index
        self.bodies: list[dict] = []
        self.hold: Callable[[], object] | None = None

    @property
    def calls(self) -> int:
        return len(self.bodies)

    def search(self, body: dict) -> dict:
        with self._lock:
            self.bodies.append(body)
        if self.hold is not None:
            self.hold()
        return self._real(body)

    @contextlib.contextmanager
    def unreachable(self):
        """Inside the block the client talks to a closed port: the engine is down."""
        url = self._settings.ELASTICSEARCH_URL
        self._settings.ELASTICSEARCH_URL = f"http://{CLOSED_PORT}"
        search_client.reset_client()
        try:
            yield
        finally:
            self._settings.ELASTICSEARCH_URL = url
            search_client.reset_client()


@pytest.fixture
def engine(listings_index, settings, monkeypatch) -> Engine:
    listings_index.add(lamp())
    spy = Engine(search_client.search_listings, listings_index, settings)
    monkeypatch.setattr(search_client, "search_listings", spy.search)
    return spy
