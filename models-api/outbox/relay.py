"""The outbox relay: publishes committed outbox rows to Kafka, in order, without loss.

Guarantees
- Nothing committed is lost: a row is marked sent only after the broker acknowledged
  it (``acks=all``). While Kafka is down rows simply wait; the relay retries with
  exponential backoff and publishes them once the broker is back.
- Order: rows go out in ``id`` order. Within a batch only the prefix up to the first
  failure is marked sent, so a later row is never "sent" before an earlier one.
- No double publishing by concurrent relays: a relay publishes only while holding a
  transaction-scoped advisory lock (one active publisher; a second relay is a hot
  standby that takes over when the first dies), and it claims rows with
  ``SELECT ... FOR UPDATE SKIP LOCKED``, so two transactions never hold the same row.
- Delivery is at-least-once: if the process dies between the broker's ack and the
  commit of ``sent_at``, those rows are published again. Consumers are idempotent
  (events carry ``event_id`` and the listing ``version``).

The relay sleeps on PostgreSQL ``LISTEN outbox_events`` (writers ``NOTIFY`` in their
transaction, delivered at commit), with a short poll as a fallback.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from mpcommon import events, kafka_config
from outbox.models import OutboxEvent
from outbox.services import NOTIFY_CHANNEL

logger = logging.getLogger("outbox.relay")

# Key of the transaction-scoped advisory lock only the active publisher holds.
PUBLISHER_LOCK_KEY = 0x6F7574626F78  # "outbox"
MAX_ERROR_LENGTH = 1000


class PublishFailed(Exception):
    """Kafka did not acknowledge a row; the relay backs off and retries."""


@dataclass
class BatchResult:
    claimed: int = 0
    published: list[tuple[int, int, int]] = field(default_factory=list)  # (id, partition, offset)
    failed_id: int | None = None
    error: str = ""
    contended: bool = False  # another relay holds the publisher lock

    @property
    def published_count(self) -> int:
        return len(self.published)


def make_producer(
    *,
    bootstrap_servers: str | None = None,
    max_block_ms: int = 5000,
    request_timeout_ms: int = 10000,
):
    """A KafkaProducer tuned for the outbox: durable acks, one request in flight.

    The idempotent producer (Kafka 4) makes the broker drop a retried duplicate, and one
    request in flight keeps retried messages in order per partition, so the order of
    events per listing survives retries. Bounded blocking: a down broker makes
    ``send`` fail after ``max_block_ms`` instead of hanging the relay.
    """
    from kafka import KafkaProducer

    kwargs = kafka_config.client_kwargs()
    if bootstrap_servers is not None:
        kwargs["bootstrap_servers"] = kafka_config.bootstrap_servers(bootstrap_servers)
    return KafkaProducer(
        **kwargs,
        client_id="models-api-outbox-relay",
        acks="all",
        enable_idempotence=True,
        retries=3,
        max_in_flight_requests_per_connection=1,
        linger_ms=5,
        max_block_ms=max_block_ms,
        request_timeout_ms=request_timeout_ms,
        delivery_timeout_ms=request_timeout_ms + 5000,
        bootstrap_timeout_ms=max_block_ms,
    )


def publish_batch(producer, *, batch_size: int = 200, ack_timeout: float = 15.0) -> BatchResult:
    """Publish the oldest unsent rows (up to ``batch_size``) and mark the acknowledged ones.

    Runs in one transaction: take the publisher lock, claim rows in id order (skipping
    rows another transaction holds), send them, wait for the acks, then set ``sent_at``
    on the acknowledged prefix. A failure is recorded on the failing row (``attempts``,
    ``last_error``) and reported in the result; nothing after it is marked sent.
    """
    result = BatchResult()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [PUBLISHER_LOCK_KEY])
            if not cursor.fetchone()[0]:
                result.contended = True
                return result
        rows = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True)
            .order_by("id")[:batch_size]
        )
        result.claimed = len(rows)
        if not rows:
            return result

        futures = []
        for row in rows:
            try:
                futures.append(
                    (
                        row,
                        producer.send(
                            row.topic, key=row.key.encode(), value=events.encode(row.payload)
                        ),
                    )
                )
            except Exception as exc:  # KafkaTimeoutError when metadata is unavailable, etc.
                result.failed_id, result.error = row.id, _describe(exc)
                break
        if futures:
            try:
                producer.flush(timeout=ack_timeout)
            except Exception as exc:  # the per-record futures below say which ones failed
                logger.debug("flush did not complete", extra={"error": _describe(exc)})
        for row, future in futures:
            try:
                metadata = future.get(timeout=ack_timeout)
            except Exception as exc:
                result.failed_id, result.error = row.id, _describe(exc)
                break
            result.published.append((row.id, metadata.partition, metadata.offset))

        if result.published:
            OutboxEvent.objects.filter(id__in=[row_id for row_id, _, _ in result.published]).update(
                sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
        if result.failed_id is not None:
            OutboxEvent.objects.filter(id=result.failed_id).update(
                attempts=F("attempts") + 1, last_error=result.error[:MAX_ERROR_LENGTH]
            )
    return result


def purge_sent(*, older_than: timedelta) -> int:
    """Delete rows sent more than ``older_than`` ago (the outbox is not an archive)."""
    deleted, _ = OutboxEvent.objects.filter(sent_at__lt=timezone.now() - older_than).delete()
    return deleted


def unsent_count() -> int:
    return OutboxEvent.objects.filter(sent_at__isnull=True).count()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Relay:
    """The long-running loop around :func:`publish_batch` (``manage.py relay_outbox``)."""

    def __init__(
        self,
        *,
        producer_factory: Callable[[], object] | None = None,
        batch_size: int | None = None,
        poll_seconds: float | None = None,
        max_backoff_seconds: float | None = None,
        retention: timedelta | None = None,
        stop_event: threading.Event | None = None,
    ):
        # Resolved at call time so tests (and callers) can substitute the producer.
        self.producer_factory = producer_factory or (lambda: make_producer())
        self.batch_size = batch_size or settings.OUTBOX_RELAY_BATCH_SIZE
        self.poll_seconds = poll_seconds or settings.OUTBOX_RELAY_POLL_SECONDS
        self.max_backoff = max_backoff_seconds or settings.OUTBOX_RELAY_MAX_BACKOFF_SECONDS
        self.retention = retention or timedelta(days=settings.OUTBOX_RETENTION_DAYS)
        self.stop_event = stop_event or threading.Event()
        self.producer = None
        self.listener: psycopg.Connection | None = None
        self.failures = 0
        self.next_purge = 0.0

    # ------------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        logger.info(
            "outbox relay started",
            extra={"batch_size": self.batch_size, "poll_seconds": self.poll_seconds},
        )
        try:
            while not self.stop_event.is_set():
                self.step()
        finally:
            self._close_producer()
            self._close_listener()
            logger.info("outbox relay stopped")

    def step(self) -> None:
        """One iteration: publish what is pending, then wait (or back off on failure)."""
        try:
            close_old_connections()
            if self.producer is None:
                self.producer = self.producer_factory()
            result = publish_batch(self.producer, batch_size=self.batch_size)
            if result.failed_id is not None:
                raise PublishFailed(result.error)
        except PublishFailed as exc:
            self._close_producer()  # drop buffered records; a fresh producer reconnects
            self._back_off("kafka unavailable, will retry", str(exc))
            return
        except DatabaseError as exc:
            connection.close()
            self._close_listener()
            self._back_off("database unavailable, will retry", _describe(exc))
            return
        except Exception as exc:  # producer construction (bootstrap failure) and the like
            self._close_producer()
            self._back_off("kafka unavailable, will retry", _describe(exc))
            return

        if result.published:
            first, last = result.published[0], result.published[-1]
            logger.info(
                "published outbox events",
                extra={
                    "count": result.published_count,
                    "first_id": first[0],
                    "last_id": last[0],
                    "last_offset": last[2],
                },
            )
        if self.failures:
            logger.info("outbox relay recovered", extra={"after_failures": self.failures})
            self.failures = 0
        if result.contended:
            # Another relay is publishing: stay on standby, check again soon.
            self.stop_event.wait(self.poll_seconds)
            return
        if result.claimed >= self.batch_size:
            return  # backlog: keep going without waiting
        self._purge_if_due()
        self._wait_for_new_rows()

    # ------------------------------------------------------------------ helpers

    def _back_off(self, message: str, error: str) -> None:
        self.failures += 1
        delay = min(self.max_backoff, 0.5 * 2 ** min(self.failures - 1, 10))
        delay *= random.uniform(0.8, 1.2)  # jitter: relays restarting together spread out
        try:
            pending = unsent_count()
        except DatabaseError:
            pending = None
        logger.warning(
            message,
            extra={
                "error": error,
                "failures": self.failures,
                "retry_in_s": round(delay, 2),
                "unsent": pending,
            },
        )
        self.stop_event.wait(delay)

    def _purge_if_due(self) -> None:
        if time.monotonic() < self.next_purge:
            return
        self.next_purge = time.monotonic() + 3600
        deleted = purge_sent(older_than=self.retention)
        if deleted:
            logger.info("purged sent outbox events", extra={"count": deleted})

    def _wait_for_new_rows(self) -> None:
        """Block until a writer NOTIFYs, the poll interval passes, or we are stopped."""
        try:
            if self.listener is None:
                self.listener = self._listen()
            for _ in self.listener.notifies(timeout=self.poll_seconds, stop_after=1):
                break
        except psycopg.Error as exc:
            logger.warning("LISTEN connection lost; polling", extra={"error": _describe(exc)})
            self._close_listener()
            self.stop_event.wait(self.poll_seconds)

    def _listen(self) -> psycopg.Connection:
        db = connection.settings_dict
        listener = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            connect_timeout=5,
            autocommit=True,
        )
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return listener

    def _close_producer(self) -> None:
        if self.producer is not None:
            try:
                self.producer.close(timeout=0)
            except Exception:  # closing a broken producer must not stop the relay
                logger.debug("error closing producer", exc_info=True)
            self.producer = None

    def _close_listener(self) -> None:
        if self.listener is not None:
            try:
                self.listener.close()
            except Exception:
                logger.debug("error closing LISTEN connection", exc_info=True)
            self.listener = None
