"""Long-running consumer: invalidate cached pages when listings change.

Subscribes to the ``listings`` topic (``KAFKA_LISTINGS_TOPIC``) in its own consumer
group; for every batch it drops the detail pages of the listings concerned and the home
page at once, and every cached search after each of ``SEARCH_CACHE_INVALIDATION_DELAYS``
(1.5 s and 5 s: when the indexer has indexed the change). Kafka down: the consumer keeps
reconnecting (the cache TTLs bound staleness meanwhile). SIGTERM/SIGINT stop it cleanly
after the current batch.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from caching.invalidation import (
    SearchInvalidation,
    invalidate_listings,
    listing_ids_to_invalidate,
)
from mpcommon import kafka_config
from mpcommon.events import TOPIC_LISTINGS

logger = logging.getLogger("caching.invalidator")

PAUSE_STEP_SECONDS = 0.2
POLL_TIMEOUT_MS = 1000


def pause(seconds: float, stopping: dict) -> None:
    """Sleep up to ``seconds``, but return soon after a stop was requested: a backoff of
    up to 30 s must not outlast supervisord's stop timeout (it would SIGKILL us)."""
    deadline = time.monotonic() + seconds
    while not stopping["now"]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(PAUSE_STEP_SECONDS, remaining))


class Command(BaseCommand):
    help = "Invalidate cached listing/home/search pages on listing events from Kafka."

    def add_arguments(self, parser):
        parser.add_argument("--group", default=settings.CACHE_INVALIDATOR_GROUP)
        parser.add_argument("--topic", default=settings.KAFKA_LISTINGS_TOPIC)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=0,
            help="stop after this many non-empty batches (0 = run forever)",
        )

    def handle(self, *args, group: str, topic: str, max_batches: int, **options):
        from kafka import KafkaConsumer

        stopping = {"now": False}

        def stop(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

        consumer = None
        batches = 0
        backoff = 1.0
        delays = settings.SEARCH_CACHE_INVALIDATION_DELAYS or [0.0]
        later = [SearchInvalidation(delay) for delay in delays]
        while not stopping["now"]:
            for delayed in later:
                if delayed.run_if_due():
                    logger.info(
                        "invalidated cached searches",
                        extra={"delay_s": delayed.delay},
                    )
            try:
                if consumer is None:
                    consumer = KafkaConsumer(
                        topic,
                        **kafka_config.client_kwargs(),
                        group_id=group,
                        # Missed events only matter for pages cached right now; their
                        # TTL is short, so a restart resumes from the committed offset
                        # or, for a new group, from the end.
                        auto_offset_reset="latest",
                        enable_auto_commit=True,
                        session_timeout_ms=10000,
                        heartbeat_interval_ms=3000,
                    )
                    logger.info(
                        "cache invalidator consuming", extra={"group": group, "topic": topic}
                    )
                    backoff = 1.0
                due = [d for d in (x.seconds_until_due() for x in later) if d is not None]
                timeout_ms = min([POLL_TIMEOUT_MS, *(int(d * 1000) for d in due)])
                records = consumer.poll(timeout_ms=timeout_ms, max_records=500)
            except Exception:  # noqa: BLE001 - Kafka down: reconnect with backoff
                logger.warning(
                    "Kafka unavailable, retrying", exc_info=True, extra={"retry_in_s": backoff}
                )
                if consumer is not None:
                    with contextlib.suppress(Exception):
                        consumer.close(autocommit=False)
                consumer = None
                pause(backoff, stopping)
                backoff = min(backoff * 2, 30.0)
                continue
            values = [record.value for batch in records.values() for record in batch]
            if not values:
                continue
            # Whatever the topic is called, its messages are listing events.
            ids = listing_ids_to_invalidate(TOPIC_LISTINGS, values)
            invalidate_listings(ids)
            if ids:
                for delayed in later:
                    delayed.batch_seen()
            logger.info(
                "invalidated cached pages", extra={"events": len(values), "listings": len(ids)}
            )
            batches += 1
            if max_batches and batches >= max_batches:
                break
        if consumer is not None:
            consumer.close()
