"""Reading back and making topics on the real Kafka broker, for the services' test suites.

Not imported by ``testsupport`` itself: the Selenium container runs ``testsupport``
without Kafka's client. Every helper connects through ``mpcommon.kafka_config`` (the
stack's ``KAFKA_BOOTSTRAP_SERVERS``).
"""

from __future__ import annotations

import contextlib
import re
import uuid

from kafka import KafkaConsumer, TopicPartition

from mpcommon import kafka_config, kafka_topics
from testsupport.waiting import wait_until

KAFKA_WAIT_SECONDS = 60  # deadline of every polling wait on the broker (ends when done)


def read_messages(topic: str, count: int, timeout: float = KAFKA_WAIT_SECONDS) -> list:
    """The first ``count`` messages of ``topic``, each partition in order (no consumer
    group, nothing committed); polls until they are there (AssertionError after
    ``timeout``)."""
    consumer = KafkaConsumer(
        topic, group_id=None, auto_offset_reset="earliest", **kafka_config.client_kwargs()
    )
    messages: list = []

    def enough() -> bool:
        for batch in consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
        return len(messages) >= count

    try:
        wait_until(enough, timeout, interval=0, message=f"{count} messages on {topic}")
    finally:
        with contextlib.suppress(Exception):
            consumer.close()
    return messages


def end_offset(topic: str) -> int:
    """How many messages partition 0 of ``topic`` holds (test topics have one)."""
    consumer = KafkaConsumer(group_id=None, **kafka_config.client_kwargs())
    try:
        partition = TopicPartition(topic, 0)
        return consumer.end_offsets([partition])[partition]
    finally:
        consumer.close()


class TestTopics:
    """The topics one test makes (the broker never auto-creates them), deleted together."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.made: list[str] = []

    def make(self, partitions: int = 1, **configs: str) -> str:
        """A new topic's name: ``make(partitions=1, **configs)``."""
        name = f"{self.prefix}-{uuid.uuid4().hex[:12]}"
        kafka_topics.ensure_topics([kafka_topics.TopicSpec(name, partitions, configs)])
        self.made.append(name)
        return name

    def delete(self) -> None:
        if self.made:
            kafka_topics.delete_topics_matching("|".join(re.escape(n) for n in self.made))
