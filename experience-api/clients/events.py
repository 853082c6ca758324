"""The one Kafka client of this service: fire-and-forget page-view events.

A page view must never slow down or fail the page. The request thread therefore only
puts the event on a bounded in-process queue (microseconds); a daemon thread owns the
kafka-python producer (created lazily, so neither its bootstrap nor a down broker ever
touches a request) and sends from the queue. When Kafka is down the sender blocks at
most ``KAFKA_MAX_BLOCK_MS`` per event, the queue absorbs a short outage, and once it is
full further events are dropped. Every outcome is counted (``stats()``, shown by
``/readyz``) and failures are logged, rate-limited to one line per interval.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

from mpcommon import kafka_config
from mpcommon.events import encode, page_view_event

logger = logging.getLogger(__name__)

FAILURE_LOG_INTERVAL_SECONDS = 10.0


def kafka_producer_factory():
    """Build the real producer (runs on the sender thread, never on a request)."""
    from kafka import KafkaProducer

    return KafkaProducer(
        **kafka_config.client_kwargs(),
        acks=1,
        # Page views wait up to 50 ms to travel in batches: one produce request per
        # batch, not per view (at 500 logged-in listing views/s the sender thread was
        # ~29% of this service's CPU with 5 ms). Nobody waits for them.
        linger_ms=50,
        retries=3,
        max_block_ms=settings.KAFKA_MAX_BLOCK_MS,
        request_timeout_ms=5000,
        bootstrap_timeout_ms=5000,
        reconnect_backoff_max_ms=5000,
    )


class EventPublisher:
    """Publishes events from a background thread; ``publish`` never blocks or raises."""

    def __init__(
        self,
        producer_factory: Callable[[], Any],
        *,
        queue_size: int = 10000,
        retry_producer_after: float = 5.0,
    ):
        self._producer_factory = producer_factory
        self._queue_size = queue_size
        self._retry_producer_after = retry_producer_after
        self._lock = threading.Lock()
        self._counts = {"published": 0, "failed": 0, "dropped": 0}
        self._last_failure_log = 0.0
        self._last_error = ""
        self._pid: int | None = None
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._producer = None
        self._producer_failed_at = 0.0

    # --- request side ---------------------------------------------------------------
    def publish(self, topic: str, key: bytes, value: bytes) -> bool:
        """Queue one message; False (and counted) if it had to be dropped."""
        try:
            self._ensure_started()
            self._queue.put_nowait((topic, key, value))
            return True
        except queue.Full:
            self._count("dropped", "page-view queue full (Kafka down or slow)")
        except Exception as exc:  # noqa: BLE001 - publishing must never break a page
            self._count("dropped", f"publish failed: {exc!r}")
        return False

    def stats(self) -> dict:
        with self._lock:
            counts = dict(self._counts)
        counts["queued"] = self._queue.qsize() if self._queue is not None else 0
        counts["last_error"] = self._last_error
        return counts

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until the queue is empty and sends are flushed (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue is not None and self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        producer = self._producer
        if producer is not None:
            try:
                producer.flush(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001
                return False
        return True

    def close(self, timeout: float = 2.0) -> None:
        """Flush what is queued, then close the producer (its network thread stops)."""
        self.drain(timeout)
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=timeout)
            except Exception:  # noqa: BLE001 - closing is best effort at shutdown
                logger.warning("Kafka producer did not close cleanly", exc_info=True)

    # --- sender side ----------------------------------------------------------------
    def _ensure_started(self) -> None:
        pid = os.getpid()
        if self._pid == pid and self._thread is not None:
            return
        with self._lock:
            if self._pid == pid and self._thread is not None:
                return
            # First use in this process (or first use after a fork): fresh queue/thread.
            self._queue = queue.Queue(maxsize=self._queue_size)
            self._producer = None
            self._thread = threading.Thread(
                target=self._run, name="page-view-publisher", daemon=True
            )
            self._pid = pid
            self._thread.start()

    def _run(self) -> None:
        work = self._queue
        while True:
            topic, key, value = work.get()
            try:
                self._send(topic, key, value)
            finally:
                work.task_done()

    def _producer_or_error(self) -> tuple[Any, str]:
        if self._producer is not None:
            return self._producer, ""
        if time.monotonic() - self._producer_failed_at < self._retry_producer_after:
            return None, "Kafka producer unavailable (will retry)"
        try:
            self._producer = self._producer_factory()
        except Exception as exc:  # noqa: BLE001 - broker down at start: try again later
            self._producer_failed_at = time.monotonic()
            return None, f"cannot create Kafka producer: {exc!r}"
        return self._producer, ""

    def _send(self, topic: str, key: bytes, value: bytes) -> None:
        producer, error = self._producer_or_error()
        if producer is None:
            self._count("failed", error)
            return
        try:
            future = producer.send(topic, key=key, value=value)
        except Exception as exc:  # noqa: BLE001 - e.g. KafkaTimeoutError on metadata
            self._count("failed", f"send failed: {exc!r}")
            return
        future.add_callback(lambda _metadata: self._count("published"))
        future.add_errback(lambda exc: self._count("failed", f"delivery failed: {exc!r}"))

    def _count(self, outcome: str, error: str = "") -> None:
        with self._lock:
            self._counts[outcome] += 1
            if not error:
                return
            self._last_error = error
            now = time.monotonic()
            should_log = now - self._last_failure_log >= FAILURE_LOG_INTERVAL_SECONDS
            if should_log:
                self._last_failure_log = now
            counts = dict(self._counts)
        if should_log:
            logger.warning("page-view event not published", extra={"error": error, **counts})


_publisher: EventPublisher | None = None
_publisher_lock = threading.Lock()


def get_publisher() -> EventPublisher:
    global _publisher
    if _publisher is None:
        with _publisher_lock:
            if _publisher is None:
                _publisher = EventPublisher(
                    kafka_producer_factory, queue_size=settings.PAGE_VIEW_QUEUE_SIZE
                )
                atexit.register(_publisher.close, 2.0)
    return _publisher


def publish_page_view(listing_id: int, user_id: int | None) -> bool:
    """Publish a page-view event keyed by listing id; never blocks, never raises."""
    try:
        event = page_view_event(int(listing_id), user_id)
        return get_publisher().publish(
            settings.KAFKA_PAGE_VIEWS_TOPIC, str(int(listing_id)).encode(), encode(event)
        )
    except Exception:  # noqa: BLE001 - a page view is never worth a failed page
        logger.exception("page-view event could not be built")
        return False
