"""Shared test fixtures: stubbed models-api (``responses``), an isolated cache, data
builders, the real search engine and Kafka broker (a private index or topic per test),
and the means to test concurrency by events instead of elapsed time."""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from dataclasses import dataclass
from email import policy as email_policy
from email.parser import BytesParser

import pytest
import responses
from django.conf import settings
from django.core.cache import cache
from django_redis.cache import RedisCache
from rest_framework.test import APIClient

from caching import cache as page_cache
from clients import models_api
from clients import search as search_client
from mpcommon import kafka_topics
from mpcommon.events import LISTING_CREATED, encode, listing_event
from mpcommon.search_index import LISTINGS_MAPPING, LISTINGS_SETTINGS, listing_document
from testsupport.kafka import TestTopics

MODELS = settings.MODELS_API_URL + "/api/v1"
TOKEN = "a" * 64
USER = {
    "id": 7,
    "username": "ada",
    "display_name": "Ada L.",
    "email": "ada@example.com",
    "bio": "I restore old lamps.",
    "date_joined": "2026-11-01T10:00:00Z",
}
_ids = itertools.count(100)


def a_listing(**overrides) -> dict:
    """A listing as models-api represents it."""
    listing_id = overrides.pop("id", next(_ids))
    listing = {
        "id": listing_id,
        "title": f"Listing {listing_id}",
        "description": "Nice thing",
        "price": "12.50",
        "category": {"slug": "home", "name": "Home & Garden"},
        "condition": "good",
        "status": "active",
        "seller": {"id": 7, "username": "ada", "display_name": "Ada L."},
        "view_count": 3,
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        "version": 1,
        "photos": [],
    }
    listing.update(overrides)
    return listing


def a_photo(**overrides) -> dict:
    """A photo as models-api represents it (thumbnails made unless told otherwise)."""
    photo_id = overrides.pop("id", next(_ids))
    photo = {
        "id": photo_id,
        "position": 0,
        "width": 1600,
        "height": 1200,
        "url": f"/media/{photo_id:064x}.jpg",
        "card_url": f"/media/{photo_id + 1:064x}.webp",
        "detail_url": f"/media/{photo_id + 2:064x}.webp",
    }
    photo.update(overrides)
    return photo


def a_listing_created_event(listing_id: int) -> bytes:
    """A ``listing.created`` Kafka message as the outbox relay publishes it."""
    return encode(listing_event(LISTING_CREATED, listing_id, 1, a_listing(id=listing_id)))


# A cache whose Redis never answers: for the "Redis down = uncached" paths.
REDIS_DOWN_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 0.2,
            "SOCKET_TIMEOUT": 0.2,
            "IGNORE_EXCEPTIONS": True,
        },
    }
}


def a_page(listings: list[dict], count: int | None = None) -> dict:
    return {
        "count": len(listings) if count is None else count,
        "page": 1,
        "page_size": 20,
        "next": None,
        "previous": None,
        "results": listings,
    }


@pytest.fixture(autouse=True)
def isolated_state():
    """Fresh clients and an empty cache (our key prefix only) around every test; no
    background cache refresh of one test outlives it (it would call the next test's
    stubs)."""
    models_api.reset_client()
    search_client.reset_client()
    cache.delete_pattern("*")
    yield
    page_cache.wait_for_background_refreshes()
    cache.delete_pattern("*")


@pytest.fixture
def models():
    """models-api stubbed at the HTTP boundary; unexpected calls fail as connection errors."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        yield stub


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def signed_in(api, models):
    """An API client sending a valid Bearer authenticator (resolved by the stub)."""
    models.add(
        responses.POST,
        MODELS + "/authenticators/resolve",
        json={"user": USER, "expires_at": "2099-01-01T00:00:00Z"},
        match=[responses.matchers.json_params_matcher({"token": TOKEN})],
    )
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return api


def listings_url() -> re.Pattern:
    """GET /listings with any query string."""
    return re.compile(re.escape(MODELS + "/listings") + r"(\?.*)?$")


@dataclass(frozen=True)
class Part:
    """One part of a multipart/form-data body: a field (no filename) or a file."""

    name: str
    filename: str | None
    content_type: str | None
    content: bytes


def multipart_parts(request) -> list[Part]:
    """The parts of a multipart/form-data request as sent (a ``responses`` call's
    ``request``), in order."""
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data"), content_type
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=email_policy.HTTP).parsebytes(head + request.body)
    return [
        Part(
            name=part.get_param("name", header="content-disposition"),
            filename=part.get_filename(),
            content_type=part["Content-Type"],
            content=part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


def calls_to(stub: responses.RequestsMock, method: str, path: str) -> list:
    return [
        call
        for call in stub.calls
        if call.request.method == method and call.request.path_url.split("?")[0].endswith(path)
    ]


# --------------------------------------------------------------------------- concurrency
# No test here asserts on elapsed time (a loaded 2-core CI machine makes any bound a
# flake). "Did not wait" is shown with a blocked dependency (a gate the test opens only
# after the call returned) or by the caller never sleeping; "ran concurrently" with a
# barrier that only opens when both calls are in flight.
GATE_SECONDS = 30  # how long a gated dependency waits before giving up (a failing test)


class LockWaiters:
    """Threads seen polling for another worker's result (the lock-wait loop of
    ``caching.cache``, the only caller of ``get_many`` with a lock key)."""

    def __init__(self):
        self._threads: set[int] = set()
        self._changed = threading.Condition()

    def saw(self) -> None:
        with self._changed:
            self._threads.add(threading.get_ident())
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = GATE_SECONDS) -> None:
        """Block until ``count`` distinct threads are waiting (AssertionError if not)."""
        with self._changed:
            waiting = self._changed.wait_for(lambda: len(self._threads) >= count, timeout)
            assert waiting, f"only {len(self._threads)} of {count} readers waited"


@pytest.fixture
def lock_waiters(monkeypatch) -> LockWaiters:
    """Counts the readers waiting for a cache computation (every thread's cache object:
    django's caches are per thread, so the backend class is patched)."""
    waiters = LockWaiters()
    real_get_many = RedisCache.get_many

    def get_many(self, keys, *args, **kwargs):
        keys = list(keys)
        if any(str(key).startswith("lock:") for key in keys):
            waiters.saw()
        return real_get_many(self, keys, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get_many", get_many)
    return waiters


@pytest.fixture
def sleeps_of_this_thread(monkeypatch) -> list[float]:
    """Every ``time.sleep`` of more than zero seconds the test's own thread makes (other
    threads sleep as usual): an empty list after a call shows the call never waited."""
    me = threading.get_ident()
    real_sleep = time.sleep
    slept: list[float] = []

    def sleep(seconds):
        if seconds > 0 and threading.get_ident() == me:
            slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    return slept


# --------------------------------------------------------------------------- real engines
# The unit tests run on the real local Elasticsearch and Kafka (settings_test.py), each
# test in an index or topic of its own, deleted afterwards: the running stack's
# ``listings`` alias, topics and consumer groups are never read or written. Only the
# tests about an unreachable engine point at a closed port, and say so by their fixture.
CLOSED_PORT = "127.0.0.1:1"  # nothing listens there: an engine that is down
ENGINE_WAIT_SECONDS = 60  # deadline of every polling wait on an engine (ends when done)


def unique_name(kind: str) -> str:
    """``test-exp-<kind>-<random>``: this test's own index, alias, topic or group."""
    return f"test-exp-{kind}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def es():
    """A client of the real search engine at ``ELASTICSEARCH_URL``."""
    from elasticsearch import Elasticsearch, TransportError

    client = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=30)
    try:
        client.info()
    except TransportError as exc:
        pytest.fail(f"no search engine at {settings.ELASTICSEARCH_URL} ({exc}); run `make up`")
    yield client
    client.close()


class ListingsIndex:
    """A test's own listings index (the project's mapping) behind its own alias, the one
    the search client queries (``SEARCH_LISTINGS_ALIAS``). Every write is refreshed
    before it returns: searchable at once, no waiting."""

    def __init__(self, es, alias: str):
        self.es = es
        self.alias = alias

    def add(self, *listings: dict) -> None:
        """Index ``listings`` (as models-api represents them, see ``a_listing``)."""
        operations: list[dict] = []
        for listing in listings:
            operations.append({"index": {"_index": self.alias, "_id": str(listing["id"])}})
            operations.append(listing_document(listing))
        self._bulk(operations)

    def remove(self, *listing_ids: int) -> None:
        self._bulk([{"delete": {"_index": self.alias, "_id": str(i)}} for i in listing_ids])

    def _bulk(self, operations: list[dict]) -> None:
        response = self.es.bulk(operations=operations, refresh=True)
        failed = [item for item in response["items"] if next(iter(item.values()))["status"] >= 300]
        assert not failed, f"bulk write refused: {failed}"


@pytest.fixture
def listings_index(es, settings):
    """An empty listings index under a fresh alias, searched by the service for this test."""
    alias = unique_name("listings")
    es.indices.create(
        index=f"{alias}-v1",
        settings=LISTINGS_SETTINGS,
        mappings=LISTINGS_MAPPING,
        aliases={alias: {}},
    )
    settings.SEARCH_LISTINGS_ALIAS = alias
    search_client.reset_client()
    yield ListingsIndex(es, alias)
    for index in es.indices.get(index=f"{alias}*", ignore_unavailable=True, allow_no_indices=True):
        es.indices.delete(index=index, ignore_unavailable=True)


@pytest.fixture
def search_engine_unreachable(settings):
    """The search client pointed at a closed port: the engine is down."""
    settings.ELASTICSEARCH_URL = f"http://{CLOSED_PORT}"
    search_client.reset_client()
    yield
    search_client.reset_client()


@pytest.fixture
def kafka_unreachable(monkeypatch):
    """Every Kafka client made from now on bootstraps from a closed port: Kafka is down."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", CLOSED_PORT)


@pytest.fixture
def make_topic():
    """Creates topics of this test's own on the real broker (which never auto-creates
    them): ``make_topic(partitions=1, **configs)`` returns the name. All are deleted
    afterwards."""
    topics = TestTopics("test-exp-topic")
    yield topics.make
    topics.delete()


@pytest.fixture
def consumer_group():
    """A consumer group name of this test's own, deleted with its offsets afterwards."""
    name = unique_name("group")
    yield name
    kafka_topics.delete_consumer_groups([name])
