"""Shared fixtures: fast settings, event builders, and the real engines.

Every test that consumes, produces or indexes does it on the real local Kafka broker
and search engine (``KAFKA_BOOTSTRAP_SERVERS`` / ``ELASTICSEARCH_URL``, as ``make test``
exports them), in a topic, consumer group and alias of its own, all deleted afterwards:
the running stack's ``listings`` alias, topics and groups are never touched.
"""

from __future__ import annotations

import os
import re
import uuid
from collections import namedtuple
from dataclasses import replace

import pytest
from kafka import KafkaConsumer, TopicPartition

from marketplace_batch import kafka_io
from marketplace_batch.settings import Settings
from mpcommon import events, kafka_topics
from testsupport import wait_until

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
    """Records as a consumer hands them out, for the pure functions that read them."""
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


# --------------------------------------------------------------------- real engines
ENGINE_WAIT_SECONDS = 60  # deadline of every polling wait on an engine (ends when done)
CLOSED_PORT_URL = "http://127.0.0.1:1"  # nothing listens there: an engine that is down


def unique_name(kind: str) -> str:
    """``test-batch-<kind>-<random>``: this test's own alias, topic or group."""
    return f"test-batch-{kind}-{uuid.uuid4().hex[:12]}"


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
    name = unique_name("alias")
    yield name
    indices = es.indices.get(index=f"{name}*", ignore_unavailable=True, allow_no_indices=True)
    for index in indices:
        es.indices.delete(index=index, ignore_unavailable=True)


def pytest_collection_modifyitems(items):
    """A test on a real engine carries its marker (``-m "not kafka and not search"``
    leaves it out), whichever fixture brought the engine in."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & {"topic", "consumer_group", "producer"}:
            item.add_marker(pytest.mark.kafka)
        if used & {"es", "alias"}:
            item.add_marker(pytest.mark.search)


# --------------------------------------------------------------------------- real broker
@pytest.fixture
def topic():
    """A fresh topic and its dead-letter topic (the broker does not auto-create them),
    one partition each; both deleted afterwards."""
    name = unique_name("topic")
    kafka_topics.ensure_topics(
        [kafka_topics.TopicSpec(name, 1), kafka_topics.TopicSpec(events.dead_letter_topic(name), 1)]
    )
    yield name
    kafka_topics.delete_topics_matching(re.escape(name) + r"(\.dlq)?")


@pytest.fixture
def consumer_group():
    """A consumer group name of this test's own, deleted with its offsets afterwards."""
    name = unique_name("group")
    yield name
    kafka_topics.delete_consumer_groups([name])


@pytest.fixture
def producer():
    producer = kafka_io.create_producer()
    yield producer
    producer.close(timeout=5)


@pytest.fixture
def produce(producer):
    """``produce(topic, values, key=b"1")``: sends and waits for every ack, in order."""

    def send(topic: str, values, key: bytes = b"1") -> None:
        futures = [producer.send(topic, key=key, value=value) for value in values]
        for future in futures:
            future.get(timeout=ENGINE_WAIT_SECONDS)

    return send


@pytest.fixture
def dead_letters(producer):
    """The real dead-letter publisher (``<topic>.dlq``)."""
    return kafka_io.DeadLetterPublisher(producer)


@pytest.fixture
def group_consumer(settings, consumer_group):
    """``group_consumer(topic)``: a worker's consumer (``kafka_io.create_consumer``: no
    auto-commit, earliest) in this test's group. Closed afterwards without committing,
    as a crashed worker would leave it; each new one resumes from the committed offset."""
    made: list[KafkaConsumer] = []

    def make(topic: str, *, max_poll_records: int = 500) -> KafkaConsumer:
        made.append(
            kafka_io.create_consumer(
                topic, consumer_group, settings, max_poll_records=max_poll_records
            )
        )
        return made[-1]

    yield make
    for consumer in made:
        consumer.close(autocommit=False)


def committed_offset(consumer: KafkaConsumer, topic: str) -> int | None:
    """The group's committed offset of ``topic``'s partition 0 (None: never committed)."""
    return consumer.committed(TopicPartition(topic, 0))


def run_until_handled(worker, expected: int) -> int:
    """Run ``worker.run_once`` until it has handled ``expected`` records (a group join
    takes a few polls); the number handled."""
    handled = 0

    def done() -> bool:
        nonlocal handled
        handled += worker.run_once(idle_timeout_seconds=0.5)
        return handled >= expected

    wait_until(done, ENGINE_WAIT_SECONDS, interval=0, message=f"{expected} records handled")
    return handled
