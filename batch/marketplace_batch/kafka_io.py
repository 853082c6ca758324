"""Kafka plumbing shared by the consumers: client factories, batch polling, explicit
offset commits and the dead-letter publisher."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from mpcommon import events
from mpcommon.kafka_config import client_kwargs

from .settings import Settings

logger = logging.getLogger(__name__)


def create_consumer(
    topic: str, group_id: str, settings: Settings, *, max_poll_records: int
) -> KafkaConsumer:
    """A group consumer that never commits on its own (offsets follow the sink's ack)."""
    session_timeout = settings.kafka_session_timeout_ms
    return KafkaConsumer(
        topic,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=session_timeout,
        heartbeat_interval_ms=max(1000, session_timeout // 3),
        max_poll_records=max_poll_records,
        # Fetch returns as soon as one byte is there: the linger is ours (poll_batch).
        fetch_max_wait_ms=100,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **client_kwargs(),
    )


def create_producer() -> KafkaProducer:
    return KafkaProducer(
        acks="all",
        retries=5,
        linger_ms=5,
        max_block_ms=10000,
        request_timeout_ms=10000,
        **client_kwargs(),
    )


def poll_batch(
    consumer: KafkaConsumer,
    *,
    max_records: int,
    linger_seconds: float,
    idle_timeout_seconds: float = 1.0,
) -> list:
    """Up to ``max_records`` records: wait up to ``idle_timeout_seconds`` for the first,
    then at most ``linger_seconds`` more to fill the batch. Order within a partition is
    preserved; records of several partitions are concatenated."""
    batch: list = []
    deadline: float | None = None
    timeout = idle_timeout_seconds
    while len(batch) < max_records:
        polled = consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records - len(batch))
        for records in polled.values():
            batch.extend(records)
        if not batch:
            return batch
        if deadline is None:
            deadline = time.monotonic() + linger_seconds
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            break
    return batch


def next_offsets(records: Iterable) -> dict[TopicPartition, int]:
    """Per partition, the offset to commit: one past the last processed record."""
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


def commit_offsets(consumer: KafkaConsumer, offsets: dict[TopicPartition, int]) -> bool:
    """Commit explicitly; False if the group rebalanced meanwhile (records will be
    redelivered to the new owner, which is harmless because every sink is idempotent)."""
    if not offsets:
        return True
    try:
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()})
    except KafkaError as exc:
        logger.warning(
            "offset commit failed; records will be redelivered",
            extra={
                "error": f"{type(exc).__name__}: {exc}",
            },
        )
        return False
    return True


KEEPALIVE_POLL_MS = 100


class PausedPartitions:
    """Pause every assigned partition while a dependency is down and keep polling, so the
    consumer stays in its group (with a 0.9 broker the session timeout is also the
    maximum time between polls) without fetching more records."""

    def __init__(self, consumer: KafkaConsumer):
        self.consumer = consumer

    def keepalive(self) -> None:
        assigned = self.consumer.assignment()
        if assigned:
            self.consumer.pause(*assigned)
        # Not timeout 0: kafka-python 3 makes a group (re)join progress only while a poll
        # waits; at one poll(0) per second (the retry pause) a rebalance never completes.
        polled = self.consumer.poll(timeout_ms=KEEPALIVE_POLL_MS)
        # A rebalance inside that poll can assign new, unpaused partitions whose records
        # come back here; rewind them so they are neither processed nor skipped now.
        for tp, records in polled.items():
            if records:
                self.consumer.seek(tp, records[0].offset)
                self.consumer.pause(tp)

    def resume(self) -> None:
        paused = self.consumer.paused()
        if paused:
            self.consumer.resume(*paused)


class DeadLetterPublisher:
    """Sends poison messages to ``<topic>.dlq`` and waits for the broker's ack, so an
    offset is never committed past a message that is neither processed nor parked.

    The dead letter is the raw message (same key, same bytes; docs/events.md), ready to
    be fixed and re-published; where it came from and why it failed is in the log line
    (the 0.9 broker has no record headers to carry it)."""

    def __init__(self, producer: KafkaProducer, *, timeout_seconds: float = 15.0):
        self.producer = producer
        self.timeout_seconds = timeout_seconds

    def publish(self, items: list[tuple[Any, str]]) -> None:
        sent = []
        for record, reason in items:
            topic = events.dead_letter_topic(record.topic)
            future = self.producer.send(topic, key=record.key, value=record.value)
            sent.append((record, reason, topic, future))
        for record, reason, topic, future in sent:
            future.get(timeout=self.timeout_seconds)
            logger.error(
                "poison message sent to dead-letter topic",
                extra={
                    "event": "dead_letter",
                    "source_topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "dead_letter_topic": topic,
                    "reason": reason,
                },
            )

    def close(self) -> None:
        self.producer.close(timeout=5)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, KafkaError)
