"""Shared fixtures: fast settings, fake Kafka pieces, and real-engine helpers."""

from __future__ import annotations

import os
import uuid
from collections import namedtuple
from dataclasses import replace

import pytest

from marketplace_batch.settings import Settings
from mpcommon import events

Record = namedtuple("Record", "topic partition offset key value")

LISTING = {
    "id": 1,
    "title": "Red racing bike",
    "description": "Barely used, new tyres.",
    "price": "120.00",
    "category": {"slug": "bikes", "name": "Bikes"},
    "condition": "good",
    "status": "active",
    "seller": {"id": 7, "username": "alice", "display_name": "Alice"},
    "view_count": 0,
    "created_at": "2026-01-01T10:00:00Z",
    "updated_at": "2026-01-01T10:00:00Z",
    "version": 1,
}


def listing(listing_id: int = 1, version: int = 1, **fields) -> dict:
    return {**LISTING, "id": listing_id, "version": version, **fields}


def listing_event_bytes(listing_id: int = 1, version: int = 1, event_type=None, **fields):
    event_type = event_type or (events.LISTING_CREATED if version == 1 else events.LISTING_UPDATED)
    document = (
        None if event_type == events.LISTING_DELETED else listing(listing_id, version, **fields)
    )
    return events.encode(events.listing_event(event_type, listing_id, version, document))


def records(values, topic=events.TOPIC_LISTINGS, partition=0, start=0):
    return [
        Record(topic, partition, start + i, str(i).encode(), value)
        for i, value in enumerate(values)
    ]


@pytest.fixture
def settings(tmp_path):
    return replace(
        Settings.from_env({"SERVICE_TOKEN": "test-token"}),
        models_api_url="http://models.test",
        access_log_path=tmp_path / "access.log",
        backoff_initial_seconds=0.001,
        backoff_max_seconds=0.005,
        page_views_linger_seconds=0.01,
        indexer_linger_seconds=0.01,
    )


class FakeConsumer:
    """The slice of KafkaConsumer the workers use, recording commits and pauses."""

    def __init__(self, batches=()):
        self.batches = list(batches)
        self.committed: dict = {}
        self.commits = 0
        self._paused: set = set()
        self.polls = 0

    def poll(self, timeout_ms=0, max_records=None):
        self.polls += 1
        if not self.batches:
            return {}
        batch = self.batches.pop(0)
        return {("tp", 0): batch} if batch else {}

    def commit(self, offsets):
        self.commits += 1
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})

    def assignment(self):
        return {"tp0"}

    def pause(self, *partitions):
        self._paused.update(partitions)

    def paused(self):
        return set(self._paused)

    def resume(self, *partitions):
        self._paused.difference_update(partitions)

    def end_offsets(self, partitions):
        return {tp: 10**9 for tp in partitions}


class FakeDeadLetters:
    def __init__(self):
        self.published: list = []

    def publish(self, items):
        self.published.extend(items)


@pytest.fixture
def dead_letters():
    return FakeDeadLetters()


# --------------------------------------------------------------------- real search engine
@pytest.fixture(scope="session")
def es():
    from elasticsearch import Elasticsearch

    client = Elasticsearch(
        os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"), request_timeout=10
    )
    yield client
    client.close()


@pytest.fixture
def alias(es):
    """A unique alias per test; every index created under it is deleted afterwards."""
    name = f"test-batch-{uuid.uuid4().hex[:12]}"
    yield name
    indices = es.indices.get(index=f"{name}*", ignore_unavailable=True, allow_no_indices=True)
    for index in indices:
        es.indices.delete(index=index, ignore_unavailable=True)
