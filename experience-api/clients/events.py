"""The one Kafka client of this service: fire-and-forget page-view events.

A page view must never slow down or fail the page. ``publish`` hands the event to
librdkafka (confluent-kafka's C client) with ``produce()``: a non-blocking C call that
only appends to librdkafka's bounded queue (about a microsecond); librdkafka's own
threads batch, partition and send, without the GIL. kafka-python's pure-Python producer
did that work on a Python thread and cost a logged-in listing view about 0.45 ms of CPU.

One daemon thread per process makes the producer (lazily, in the process that uses it:
gunicorn forks workers, and a librdkafka handle does not survive a fork) and then serves
its delivery reports (``poll``). Events published before the producer exists wait for it
in a small bounded list. When Kafka is down librdkafka keeps the events for at most
``message.timeout.ms``; once the queue is full further events are dropped. Every outcome
is counted (``stats()``, shown by ``/readyz``) and failures are logged, rate-limited to
one line per interval.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from django.conf import settings

from mpcommon import kafka_config
from mpcommon.events import encode, page_view_event

logger = logging.getLogger(__name__)

FAILURE_LOG_INTERVAL_SECONDS = 10.0
POLL_SECONDS = 0.5  # the longest the delivery-report thread sleeps in librdkafka


class _RateLimitedWarnings:
    """At most one warning line per interval (the rest only counted by the caller)."""

    def __init__(self, interval: float = FAILURE_LOG_INTERVAL_SECONDS):
        self._interval = interval
        self._last = float("-inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self._interval:
                return False
            self._last = now
            return True


_client_warnings = _RateLimitedWarnings()


def _client_error(error) -> None:
    """librdkafka's error events (broker down, all brokers down, ...); every lost event
    is also counted by its delivery report, so these are only logged."""
    if _client_warnings.due():
        logger.warning("Kafka client error", extra={"error": str(error)})


class _ClientLog:
    """librdkafka's log lines through this module's logger (served by ``poll`` on the
    delivery-report thread), warnings rate-limited like every other failure here."""

    def log(self, level: int, fmt: str, *args) -> None:
        if level < logging.WARNING:
            logger.debug(fmt, *args)
        elif _client_warnings.due():
            logger.warning("Kafka client log", extra={"error": fmt % args})


def kafka_producer_factory(**overrides) -> Any:
    """Build the real producer (on the publisher's thread, never on a request).

    ``overrides``: librdkafka properties replacing these (tests: shorter timeouts).
    """
    from confluent_kafka import Producer

    config = {
        "bootstrap.servers": ",".join(kafka_config.bootstrap_servers()),
        "client.id": "experience-api",
        "acks": 1,
        # The same key on the same partition as kafka-python's default partitioner (and
        # the Java client's): murmur2 of the key bytes (librdkafka's own default is CRC32).
        "partitioner": "murmur2_random",
        # Page views wait up to 50 ms to travel in batches: one produce request per batch,
        # not per view. Nobody waits for them.
        "linger.ms": 50,
        "queue.buffering.max.messages": settings.PAGE_VIEW_QUEUE_SIZE,
        # Timeouts on everything: a request answers within 5 s, a page view is delivered
        # within 10 s (room for one retry) or counted as failed; connecting takes 5 s at
        # most, and a down broker is retried at least every 5 s.
        "request.timeout.ms": 5000,
        "message.timeout.ms": 10000,
        "socket.connection.setup.timeout.ms": 5000,
        "reconnect.backoff.max.ms": 5000,
        "error_cb": _client_error,
        "logger": _ClientLog(),
        **overrides,
    }
    return Producer(config)


class EventPublisher:
    """Publishes events through librdkafka; ``publish`` never blocks or raises."""

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
        self._counts = {"published": 0, "failed": 0, "dropped": 0}
        self._last_error = ""
        self._warnings = _RateLimitedWarnings()
        self._on_delivery = self._delivered  # one bound method, not one per event
        # Producers made by a parent process: never used, closed or freed here (their
        # threads live in the parent only).
        self._inherited: list[Any] = []
        self._reset_for_this_process()
        self._pid: int | None = None

    def _reset_for_this_process(self) -> None:
        self._lock = threading.Lock()
        self._polling = threading.Lock()  # held while the thread polls the producer
        self._wake = threading.Event()
        self._pending: deque = deque()  # published before the producer existed
        self._producer = None
        self._producer_failed_at = float("-inf")
        self._thread: threading.Thread | None = None

    # --- request side ---------------------------------------------------------------
    def publish(self, topic: str, key: bytes, value: bytes) -> bool:
        """Hand one message to librdkafka; False (and counted) if it had to be dropped."""
        try:
            self._ensure_started()
            producer = self._producer
            if producer is None:
                return self._hold(topic, key, value)
            return self._produce(producer, topic, key, value)
        except Exception as exc:  # noqa: BLE001 - publishing must never break a page
            self._count("dropped", f"publish failed: {exc!r}")
        return False

    def stats(self) -> dict:
        with self._lock:
            counts = dict(self._counts)
            counts["last_error"] = self._last_error
            queued = len(self._pending)
        producer = self._own_producer()
        if producer is not None:
            with contextlib.suppress(RuntimeError):  # closed meanwhile: holds nothing
                queued += len(producer)  # not yet acknowledged (or not yet reported)
        counts["queued"] = queued
        return counts

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every event is delivered or failed and reported (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._pid == os.getpid() and self._pending:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        producer = self._own_producer()
        if producer is None:
            return True
        try:
            return producer.flush(max(0.0, deadline - time.monotonic())) == 0
        except Exception:  # noqa: BLE001
            return False

    def close(self, timeout: float = 2.0) -> None:
        """Flush what is queued; count what is still undelivered as failed; close."""
        self.drain(timeout)
        if self._own_producer() is None:
            return
        with self._lock:
            producer, self._producer = self._producer, None
        if producer is None:
            return
        with self._polling:  # the thread is out of ``poll`` and will not enter it again
            try:
                producer.purge()  # reported now as failed, not delivered after we return
                producer.poll(0)
                producer.close()
            except Exception:  # noqa: BLE001 - closing is best effort at shutdown
                logger.warning("Kafka producer did not close cleanly", exc_info=True)

    def _own_producer(self) -> Any:
        """The producer made in this process, if any (not one inherited through a fork:
        touching that one could wait for threads that only exist in the parent)."""
        return self._producer if self._pid == os.getpid() else None

    def _produce(self, producer: Any, topic: str, key: bytes, value: bytes) -> bool:
        if len(producer) >= self._queue_size:
            self._count("dropped", "page-view queue full (Kafka down or slow)")
            return False
        try:
            producer.produce(topic, value, key, on_delivery=self._on_delivery)
        except BufferError:  # librdkafka's own bound (queue.buffering.max.messages)
            self._count("dropped", "page-view queue full (Kafka down or slow)")
            return False
        return True

    def _hold(self, topic: str, key: bytes, value: bytes) -> bool:
        with self._lock:
            producer = self._producer
            if producer is None:
                if len(self._pending) >= self._queue_size:
                    dropped = True
                else:
                    dropped = False
                    self._pending.append((topic, key, value))
                    self._wake.set()
        if producer is not None:  # made meanwhile
            return self._produce(producer, topic, key, value)
        if dropped:
            self._count("dropped", "page-view queue full (Kafka producer not ready)")
            return False
        return True

    # --- the publisher's thread -----------------------------------------------------
    def _ensure_started(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with _start_lock:  # new in every child process (os.register_at_fork below)
            if self._pid == pid:
                return
            # First use in this process, or first use after a fork: what the parent made
            # (locks possibly held by its threads, its producer) is not used here.
            if self._producer is not None:
                self._inherited.append(self._producer)
            self._reset_for_this_process()
            self._thread = threading.Thread(
                target=self._run, name="page-view-publisher", daemon=True
            )
            self._thread.start()
            self._pid = pid

    def _run(self) -> None:
        while True:
            try:
                producer = self._producer
                if producer is None:
                    self._wake.wait(POLL_SECONDS)
                    self._wake.clear()
                    if self._pending:
                        self._start_producer()
                    continue
                with self._polling:
                    if producer is self._producer:
                        producer.poll(POLL_SECONDS)
            except Exception:  # noqa: BLE001 - this thread must outlive any failure
                logger.exception("page-view publisher thread failed; going on")
                time.sleep(POLL_SECONDS)

    def _start_producer(self) -> None:
        """Make the producer and hand it what was held; when it cannot be made, what is
        held is counted as failed and making it is retried later."""
        if time.monotonic() - self._producer_failed_at < self._retry_producer_after:
            self._fail_pending("Kafka producer unavailable (will retry)")
            return
        try:
            producer = self._producer_factory()
        except Exception as exc:  # noqa: BLE001 - e.g. a bad configuration: retry later
            self._producer_failed_at = time.monotonic()
            self._fail_pending(f"cannot create Kafka producer: {exc!r}")
            return
        while True:
            with self._lock:
                if not self._pending:
                    self._producer = producer  # from now on publish() produces directly
                    return
                held = list(self._pending)
            for topic, key, value in held:
                self._produce(producer, topic, key, value)
            with self._lock:  # only now: until then drain() waits for them
                for _ in held:
                    self._pending.popleft()

    def _fail_pending(self, error: str) -> None:
        with self._lock:
            failed = len(self._pending)
            self._pending.clear()
        if failed:
            self._count("failed", error, failed)

    def _delivered(self, err, _message) -> None:
        """Delivery report of one event (called by ``poll``/``flush``, never raises)."""
        if err is None:
            self._count("published")
        else:
            self._count("failed", f"delivery failed: {err.name()} ({err.str()})")

    def _count(self, outcome: str, error: str = "", n: int = 1) -> None:
        with self._lock:
            self._counts[outcome] += n
            if not error:
                return
            self._last_error = error
            counts = dict(self._counts)
        if self._warnings.due():
            logger.warning("page-view event not published", extra={"error": error, **counts})


def _new_start_lock() -> None:
    global _start_lock
    _start_lock = threading.Lock()


_start_lock = threading.Lock()
os.register_at_fork(after_in_child=_new_start_lock)

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
