"""Zero-downtime full re-index: models-api -> a NEW concrete index -> atomic alias swap.

1. note the end offsets of the listings topic (the "snapshot point");
2. create a new concrete index and bulk-write every listing of every status, read from
   models-api 100 at a time (oldest first), with external versions = listing versions;
3. replay the listing events from the snapshot point into the new index: whatever
   changed while we were reading (including deletes) lands there too, and the
   external versions make the overlap with the snapshot a no-op;
4. refresh the new index, then swap the alias in one ``update_aliases`` call (remove
   old + add new): searches see either the old or the new index, never neither;
5. replay once more, the events the live indexer wrote to the old index between step 3
   and the swap;
6. delete the old indices.

Run one re-index at a time; the live indexer keeps running throughout.
"""

from __future__ import annotations

import logging
import time

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from mpcommon import search_index
from mpcommon.kafka_config import client_kwargs

from . import search
from .indexer import plan_batch
from .lifecycle import Backoff, Retrier, ShutdownFlag
from .models_api import ModelsApiClient
from .models_api import is_transient as models_api_transient
from .search import ListingWrite
from .settings import Settings

logger = logging.getLogger(__name__)

BULK_SIZE = 500
REPLAY_TIMEOUT_SECONDS = 300


class ReindexFailed(RuntimeError):
    pass


class ListingEventReplayer:
    """Reads a range of the listings topic without a consumer group (no offsets touched)."""

    def __init__(self, topic: str, consumer: KafkaConsumer | None):
        self.topic = topic
        self.consumer = consumer
        self.partitions: list[TopicPartition] = []
        if consumer is not None:
            ids = consumer.partitions_for_topic(topic) or set()
            self.partitions = [TopicPartition(topic, p) for p in sorted(ids)]
            if self.partitions:
                consumer.assign(self.partitions)

    @classmethod
    def connect(cls, topic: str) -> ListingEventReplayer:
        try:
            consumer = KafkaConsumer(
                group_id=None,
                enable_auto_commit=False,
                request_timeout_ms=15000,
                **client_kwargs(),
            )
            return cls(topic, consumer)
        except KafkaError as exc:
            logger.warning(
                "Kafka unavailable: re-indexing from models-api only (changes made while "
                "it runs reach the new index through the live indexer after the swap, "
                "except for events it processed before the swap)",
                extra={"error": str(exc)},
            )
            return cls(topic, None)

    def end_offsets(self) -> dict[TopicPartition, int]:
        if not self.partitions:
            return {}
        return dict(self.consumer.end_offsets(self.partitions))

    def replay(self, start: dict[TopicPartition, int], end: dict[TopicPartition, int]):
        """Yield batches of records in [start, end) per partition."""
        todo = {tp: (start.get(tp, 0), stop) for tp, stop in end.items() if stop > start.get(tp, 0)}
        if not todo:
            return
        for tp, (first, _) in todo.items():
            self.consumer.seek(tp, first)
        active = [tp for tp in self.partitions if tp not in todo]
        if active:
            self.consumer.pause(*active)
        deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
        try:
            while todo:
                if time.monotonic() > deadline:
                    raise ReindexFailed(f"replay did not reach the end offsets: {todo}")
                polled = self.consumer.poll(timeout_ms=1000, max_records=BULK_SIZE)
                if not polled:
                    positions = {tp: self.consumer.position(tp) for tp in todo}
                    todo = {tp: r for tp, r in todo.items() if positions[tp] < r[1]}
                    continue
                batch = []
                for tp, records in polled.items():
                    if tp not in todo:
                        continue
                    stop = todo[tp][1]
                    batch.extend(record for record in records if record.offset < stop)
                    if records[-1].offset + 1 >= stop:
                        todo.pop(tp)
                        self.consumer.pause(tp)
                if batch:
                    yield batch
        finally:
            paused = self.consumer.paused()
            if paused:
                self.consumer.resume(*paused)

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close(autocommit=False)


class Reindexer:
    def __init__(
        self,
        *,
        es: Elasticsearch,
        models_api: ModelsApiClient,
        replayer: ListingEventReplayer,
        settings: Settings,
        shutdown: ShutdownFlag,
        alias: str | None = None,
    ):
        self.es = es
        self.models_api = models_api
        self.replayer = replayer
        self.settings = settings
        self.shutdown = shutdown
        self.alias = alias or settings.listings_alias
        # A one-shot job: give up (and keep the old index) rather than wait forever.
        self._retry = Retrier(
            Backoff(settings.backoff_initial_seconds, settings.backoff_max_seconds),
            shutdown,
            max_attempts=8,
        )

    def write(self, writes: list[ListingWrite], index: str) -> int:
        outcome = search.write_until_settled(
            self.es, writes, index, retry=self._retry, what="bulk write to new index"
        )
        for write, reason in outcome.rejected:
            logger.error(
                "document rejected during re-index",
                extra={"listing_id": write.listing_id, "reason": reason},
            )
        return len(outcome.applied)

    def copy_from_models_api(self, index: str) -> int:
        """Every listing of every status, oldest first, page by page (each page retried
        on its own; a listing shifting pages meanwhile is caught by the event replay)."""
        copied = 0
        page = 1
        while True:
            body = self._retry(
                lambda page=page: self.models_api.listings_page(page=page, ordering="oldest"),
                models_api_transient,
                "read listings from models-api",
            )
            writes = [
                ListingWrite(
                    int(listing["id"]),
                    int(listing["version"]),
                    search_index.listing_document(listing),
                )
                for listing in body.get("results", [])
            ]
            copied += self.write(writes, index)
            if not body.get("next"):
                return copied
            page += 1

    def replay_events(self, index: str, start, end) -> int:
        replayed = 0
        for records in self.replayer.replay(start, end):
            plan = plan_batch(records)
            for record, reason in plan.poison:
                logger.warning(
                    "skipping invalid event during replay (the indexer dead-letters it)",
                    extra={
                        "partition": record.partition,
                        "offset": record.offset,
                        "reason": reason,
                    },
                )
            self.write(plan.writes, index)
            replayed += len(records)
        return replayed

    def run(self) -> str:
        """Build a new index, swap the alias to it, delete the old ones; returns its name."""
        started = time.perf_counter()
        snapshot = self._retry(
            self.replayer.end_offsets, lambda e: isinstance(e, KafkaError), "read topic end offsets"
        )
        index = search.concrete_index_name(self.alias)
        search.create_listings_index(self.es, index)
        logger.info("re-index started", extra={"index": index, "alias": self.alias})
        try:
            copied = self.copy_from_models_api(index)
            caught_up = self._retry(
                self.replayer.end_offsets,
                lambda e: isinstance(e, KafkaError),
                "read topic end offsets",
            )
            replayed = self.replay_events(index, snapshot, caught_up)
            # Make every copied document visible before searches switch over, or the
            # first second after the swap would show a partly empty index.
            self._retry(
                lambda: self.es.indices.refresh(index=index), search.is_transient, "refresh"
            )
            old = self._retry(
                lambda: search.swap_alias(self.es, self.alias, index),
                search.is_transient,
                "swap alias",
            )
        except BaseException:
            logger.exception("re-index failed; the alias still points at the old index")
            self.es.indices.delete(index=index, ignore_unavailable=True)
            raise
        final = self._retry(
            self.replayer.end_offsets, lambda e: isinstance(e, KafkaError), "read topic end offsets"
        )
        replayed += self.replay_events(index, caught_up, final)
        for old_index in old:
            self.es.indices.delete(index=old_index, ignore_unavailable=True)
        logger.info(
            "re-index done",
            extra={
                "index": index,
                "alias": self.alias,
                "listings": copied,
                "events_replayed": replayed,
                "deleted_indices": old,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return index


def run(settings: Settings, shutdown: ShutdownFlag) -> int:
    es = search.create_client(settings)
    models_api = ModelsApiClient.from_settings(settings)
    replayer = ListingEventReplayer.connect(settings.listings_topic)
    try:
        Reindexer(
            es=es, models_api=models_api, replayer=replayer, settings=settings, shutdown=shutdown
        ).run()
    finally:
        replayer.close()
        models_api.close()
        es.close()
    return 0
