"""The real Kafka broker for the relay's tests: a topic of each test's own, read back.

``KAFKA_BOOTSTRAP_SERVERS`` is the stack's broker (``make test`` exports it; default
127.0.0.1:9092). ``outbox_topic`` makes the outbox record this test's events for a
fresh topic (``OUTBOX_LISTINGS_TOPIC``), deleted afterwards, so the running stack's
``listings`` topic and its indexer never see them. Only the tests about Kafka being
down point a producer at ``CLOSED_PORT``, and say so.
"""

from __future__ import annotations

import pytest

from testsupport.kafka import TestTopics

CLOSED_PORT = "127.0.0.1:1"  # nothing listens there: a broker that is down


def pytest_collection_modifyitems(items):
    """A test on the real broker carries the ``kafka`` marker (``-m "not kafka"``)."""
    for item in items:
        if set(getattr(item, "fixturenames", ())) & {"make_topic", "producer"}:
            item.add_marker(pytest.mark.kafka)


@pytest.fixture
def make_topic():
    """``make_topic(partitions=1, **configs)``: a new topic's name; all deleted afterwards."""
    topics = TestTopics("test-models-topic")
    yield topics.make
    topics.delete()


@pytest.fixture
def outbox_topic(make_topic, settings) -> str:
    """The topic the outbox records listing events for, in this test."""
    settings.OUTBOX_LISTINGS_TOPIC = make_topic()
    return settings.OUTBOX_LISTINGS_TOPIC
