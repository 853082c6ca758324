"""The real Kafka broker for the relay's tests: a topic of each test's own, read back.

``KAFKA_BOOTSTRAP_SERVERS`` is the stack's broker (``make test`` exports it; default
127.0.0.1:9092). ``outbox_topic`` makes the outbox record this test's events for a
fresh topic (``OUTBOX_LISTINGS_TOPIC``), deleted afterwards, so the running stack's
``listings`` topic and its indexer never see them. Only the tests about Kafka being
down point a producer at ``CLOSED_PORT``, and say so.
"""

from __future__ import annotations

import re
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition

from mpcommon import kafka_config, kafka_topics
from testsupport import wait_until

CLOSED_PORT = "127.0.0.1:1"  # nothing listens there: a broker that is down
KAFKA_WAIT_SECONDS = 60  # deadline of every polling wait on the broker (ends when done)


def pytest_collection_modifyitems(items):
    """A test on the real broker carries the ``kafka`` marker (``-m "not kafka"``)."""
    for item in items:
        if set(getattr(item, "fixturenames", ())) & {"make_topic", "producer"}:
            item.add_marker(pytest.mark.kafka)


@pytest.fixture
def make_topic():
    """``make_topic(partitions=1, **configs)``: a new topic's name; all deleted afterwards."""
    made: list[str] = []

    def make(partitions: int = 1, **configs: str) -> str:
        name = f"test-models-topic-{uuid.uuid4().hex[:12]}"
        kafka_topics.ensure_topics([kafka_topics.TopicSpec(name, partitions, configs)])
        made.append(name)
        return name

    yield make
    if made:
        kafka_topics.delete_topics_matching("|".join(re.escape(name) for name in made))


@pytest.fixture
def outbox_topic(make_topic, settings) -> str:
    """The topic the outbox records listing events for, in this test."""
    settings.OUTBOX_LISTINGS_TOPIC = make_topic()
    return settings.OUTBOX_LISTINGS_TOPIC


def read_messages(topic: str, count: int) -> list:
    """The first ``count`` messages of ``topic`` in order (one partition, no group)."""
    consumer = KafkaConsumer(
        group_id=None, enable_auto_commit=False, **kafka_config.client_kwargs()
    )
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    messages: list = []

    def enough() -> bool:
        for batch in consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
        return len(messages) >= count

    try:
        wait_until(enough, KAFKA_WAIT_SECONDS, interval=0, message=f"{count} messages")
    finally:
        consumer.close()
    return messages


def end_offset(topic: str) -> int:
    """How many messages partition 0 of ``topic`` holds."""
    consumer = KafkaConsumer(group_id=None, **kafka_config.client_kwargs())
    try:
        partition = TopicPartition(topic, 0)
        return consumer.end_offsets([partition])[partition]
    finally:
        consumer.close()
