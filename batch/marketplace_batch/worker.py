"""The skeleton every Kafka consumer worker shares.

Poll a batch, process it, park poison messages in the dead-letter topic, and only
then commit the offsets. While a dependency is down, retries wait with backoff and
keep the consumer in its group (paused partitions, see ``kafka_io.PausedPartitions``);
a shutdown requested meanwhile abandons the batch uncommitted, so it is redelivered.
Subclasses say how big a batch is (size, linger) and how to process it.
"""

from __future__ import annotations

import logging
from typing import Any

from . import kafka_io
from .lifecycle import Backoff, Retrier, ShutdownFlag, Stopping
from .settings import Settings


class ConsumerWorker:
    name = "consumer"

    def __init__(
        self,
        *,
        consumer,
        dead_letters: kafka_io.DeadLetterPublisher,
        settings: Settings,
        shutdown: ShutdownFlag,
    ):
        self.consumer = consumer
        self.dead_letters = dead_letters
        self.settings = settings
        self.shutdown = shutdown
        self.backoff = Backoff(settings.backoff_initial_seconds, settings.backoff_max_seconds)
        self.paused = kafka_io.PausedPartitions(consumer)
        self._retry = Retrier(self.backoff, shutdown, keepalive=self.paused.keepalive)
        # Log lines keep the name of the concrete worker (marketplace_batch.indexer, ...).
        self.logger = logging.getLogger(type(self).__module__)

    # --- what subclasses provide ----------------------------------------------------
    @property
    def batch_size(self) -> int:
        raise NotImplementedError

    @property
    def linger_seconds(self) -> float:
        raise NotImplementedError

    def poll(self, idle_timeout_seconds: float) -> list:
        """Up to ``batch_size`` records, waiting ``linger_seconds`` for a batch to fill."""
        return kafka_io.poll_batch(
            self.consumer,
            max_records=self.batch_size,
            linger_seconds=self.linger_seconds,
            idle_timeout_seconds=idle_timeout_seconds,
        )

    def process(self, records: list) -> None:
        raise NotImplementedError

    def start(self) -> None:
        """Runs once before the first poll (e.g. make sure the index exists)."""

    def describe(self) -> dict[str, Any]:
        """Fields of the started line of the log."""
        return {}

    # --- the loop -------------------------------------------------------------------
    def run(self) -> None:
        self.start()
        self.logger.info(f"{self.name} started", extra=self.describe())
        while not self.shutdown.requested:
            self.run_once()
        self.logger.info(f"{self.name} stopped")

    def run_once(self, *, idle_timeout_seconds: float = 1.0) -> int:
        """Poll one batch, process it, commit it. Returns the number of records handled."""
        records = self.poll(idle_timeout_seconds)
        if not records:
            return 0
        try:
            self.process(records)
        except Stopping:
            self.logger.info("stopping before the batch was acknowledged; it will be redelivered")
            return 0
        return len(records)

    # --- steps of process() ---------------------------------------------------------
    def dead_letter(self, poison: list[tuple[Any, str]]) -> None:
        """Park ``(record, reason)`` pairs in their dead-letter topics (acked by Kafka)."""
        if poison:
            self._retry(
                lambda: self.dead_letters.publish(poison),
                kafka_io.is_transient,
                "publish to dead-letter topic",
            )

    def acknowledge(self, records: list) -> None:
        """The batch is done: resume fetching and commit past its last records."""
        self.paused.resume()
        kafka_io.commit_offsets(self.consumer, kafka_io.next_offsets(records))
