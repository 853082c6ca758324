"""The search engine stubbed at the client module (``clients.search.search_listings``)."""

import threading
import time

import pytest

from clients import search as search_client
from search.tests.test_queries import a_hit


def engine_response(*hits: dict, total: int | None = None) -> dict:
    """A raw engine answer holding ``hits`` (``total`` defaults to their number)."""
    return {
        "hits": {
            "total": {"value": len(hits) if total is None else total, "relation": "eq"},
            "hits": list(hits),
        },
        "aggregations": {
            "category": {
                "buckets": [
                    {
                        "key": "home",
                        "doc_count": len(hits),
                        "name": {"buckets": [{"key": "Home & Garden"}]},
                    }
                ]
                if hits
                else []
            }
        },
    }


class Engine:
    """Records the request bodies; answers ``response``, or raises ``error``."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.response = engine_response(a_hit())
        self.error: Exception | None = None
        self.delay = 0.0
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        return len(self.bodies)

    def search(self, body: dict) -> dict:
        with self._lock:
            self.bodies.append(body)
        time.sleep(self.delay)
        if self.error:
            raise self.error
        return self.response


@pytest.fixture
def engine(monkeypatch):
    fake = Engine()
    monkeypatch.setattr(search_client, "search_listings", fake.search)
    return fake
