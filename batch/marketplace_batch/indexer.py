"""The search indexer: listing events from Kafka -> bulk writes to the search engine.

Per batch: decode and validate every record, collapse each listing to its newest
event, write everything in ONE bulk call with external versions, park poison messages
in the dead-letter topic, and only then commit the Kafka offsets. Processing is
idempotent (a replayed or out-of-order event is refused by the engine as stale, 409),
so at-least-once delivery yields exactly-once results.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from mpcommon import events, search_index

from . import kafka_io, search
from .lifecycle import Retrier, ShutdownFlag
from .search import ListingWrite
from .settings import Settings
from .worker import ConsumerWorker

logger = logging.getLogger(__name__)


@dataclass
class BatchPlan:
    writes: list[ListingWrite] = field(default_factory=list)
    poison: list[tuple[Any, str]] = field(default_factory=list)  # (record, reason)
    superseded: int = 0  # older events of a listing that a newer one in the batch replaces


def listing_write(event: dict, source: Any = None) -> ListingWrite:
    """The versioned search write an (already validated) listing event asks for."""
    if event["type"] == events.LISTING_DELETED:
        return ListingWrite(event["listing_id"], event["version"], None, source)
    return ListingWrite(
        event["listing_id"],
        event["version"],
        search_index.listing_document(event["listing"]),
        source,
    )


def plan_batch(records: list) -> BatchPlan:
    """Decode a batch of records into writes (newest version per listing) and poison.

    Records are validated against the listing-event schema whatever topic they were
    read from (tests and re-runs may use another topic name)."""
    plan = BatchPlan()
    newest: dict[int, ListingWrite] = {}
    for record in records:
        try:
            event = events.decode(events.TOPIC_LISTINGS, record.value)
            if event["listing"] is not None and event["listing"]["id"] != event["listing_id"]:
                raise events.InvalidEvent("listing.id differs from listing_id")
            write = listing_write(event, record)
        except (events.InvalidEvent, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            plan.poison.append((record, f"invalid event: {exc}"[:500]))
            continue
        current = newest.get(write.listing_id)
        if current is None or write.version > current.version:
            newest[write.listing_id] = write
        if current is not None:
            plan.superseded += 1
    plan.writes = list(newest.values())
    return plan


class ListingIndexer(ConsumerWorker):
    """Consumes listing events and keeps the search index in step with them."""

    name = "indexer"

    def __init__(
        self,
        *,
        consumer,
        es: Elasticsearch,
        dead_letters: kafka_io.DeadLetterPublisher,
        settings: Settings,
        shutdown: ShutdownFlag,
        alias: str | None = None,
    ):
        super().__init__(
            consumer=consumer, dead_letters=dead_letters, settings=settings, shutdown=shutdown
        )
        self.es = es
        self.alias = alias or settings.listings_alias
        self.topic = settings.listings_topic

    def ensure_index(self) -> None:
        # Before the first poll nothing is assigned: no consumer keepalive needed yet.
        Retrier(self.backoff, self.shutdown)(
            lambda: search.ensure_listings_index(self.es, self.alias),
            search.is_transient,
            "ensure search index",
        )

    def start(self) -> None:
        self.ensure_index()

    def describe(self) -> dict:
        return {"topic": self.topic, "alias": self.alias}

    @property
    def batch_size(self) -> int:
        return self.settings.indexer_batch_size

    @property
    def linger_seconds(self) -> float:
        return self.settings.indexer_linger_seconds

    def process(self, records: list) -> None:
        started = time.perf_counter()
        plan = plan_batch(records)
        outcome = search.write_until_settled(self.es, plan.writes, self.alias, retry=self._retry)
        poison = plan.poison + [(write.source, reason) for write, reason in outcome.rejected]
        self.dead_letter(poison)
        self.acknowledge(records)
        logger.info(
            "indexed batch",
            extra={
                "records": len(records),
                "writes": len(plan.writes),
                "superseded": plan.superseded,
                "dead_lettered": len(poison),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )


def run(settings: Settings, shutdown: ShutdownFlag) -> None:
    es = search.create_client(settings)
    consumer = kafka_io.create_consumer(
        settings.listings_topic,
        settings.indexer_group,
        settings,
        max_poll_records=settings.indexer_batch_size,
    )
    dead_letters = kafka_io.DeadLetterPublisher(kafka_io.create_producer())
    indexer = ListingIndexer(
        consumer=consumer, es=es, dead_letters=dead_letters, settings=settings, shutdown=shutdown
    )
    try:
        indexer.run()
    finally:
        consumer.close(autocommit=False)
        dead_letters.close()
        es.close()
