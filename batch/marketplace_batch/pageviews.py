"""The page-view consumer: page-view events -> access log, models-api counts, search.

Per batch, in this order, each step idempotent so a crash anywhere only means a replay:

1. poison messages go to the dead-letter topic;
2. views are appended to the access log (exactly once, see ``access_log``);
3. per-listing increments are folded into models-api with a ``batch_id`` made of the
   topic, partitions and offset ranges; the batch is written ahead to the state file
   before the call, so after a crash exactly the same batch (same id, same records) is
   sent again and models-api recognises it as already applied;
4. the search documents' ``views`` are raised to models-api's absolute counts (absolute
   values are idempotent; increments into the search engine would not be);
5. the Kafka offsets are committed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass

from elasticsearch import Elasticsearch, NotFoundError
from kafka import TopicPartition

from mpcommon import events

from . import kafka_io, search
from .access_log import AccessLog, partition_key
from .lifecycle import ShutdownFlag
from .models_api import ModelsApiClient, ModelsApiError
from .models_api import is_transient as models_api_transient
from .settings import Settings
from .worker import ConsumerWorker

logger = logging.getLogger(__name__)

PENDING_COVER_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class PageView:
    key: str  # topic:partition
    offset: int
    user_id: int | None
    listing_id: int


@dataclass(frozen=True)
class ViewBatch:
    batch_id: str
    ranges: dict[str, list[int]]  # partition key -> [first offset, last offset]
    increments: dict[int, int]


def decode_views(records: list) -> tuple[list[PageView], list[tuple]]:
    views: list[PageView] = []
    poison: list[tuple] = []
    for record in records:
        try:
            event = events.decode(events.TOPIC_PAGE_VIEWS, record.value)
        except events.InvalidEvent as exc:
            poison.append((record, f"invalid event: {exc}"[:500]))
            continue
        views.append(
            PageView(
                partition_key(record.topic, record.partition),
                record.offset,
                event["user_id"],
                event["listing_id"],
            )
        )
    return views, poison


MAX_BATCH_ID_LENGTH = 200  # models-api's limit


def make_batch_id(ranges: dict[str, list[int]], epoch: int = 0) -> str:
    """E.g. ``page-views:0:100-199``; deterministic for the ranges."""
    parts = ",".join(f"{key}:{first}-{last}" for key, (first, last) in sorted(ranges.items()))
    batch_id = parts if epoch == 0 else f"{parts}#e{epoch}"
    if len(batch_id) > MAX_BATCH_ID_LENGTH:
        batch_id = "sha256:" + hashlib.sha256(batch_id.encode()).hexdigest()
    return batch_id


def view_batch(views: list[PageView], batch_id: str | None = None, epoch: int = 0) -> ViewBatch:
    ranges: dict[str, list[int]] = {}
    for view in views:
        first, last = ranges.get(view.key, [view.offset, view.offset])
        ranges[view.key] = [min(first, view.offset), max(last, view.offset)]
    increments = Counter(view.listing_id for view in views)
    return ViewBatch(batch_id or make_batch_id(ranges, epoch), ranges, dict(increments))


def plan_folds(
    views: list[PageView],
    folded: dict[str, int],
    pending: dict | None,
    epoch: int = 0,
) -> list[ViewBatch]:
    """The models-api folds for ``views``: first the pending (written-ahead) batch, rebuilt
    from exactly its offset ranges, then one new batch per partition for the rest."""
    unfolded = [view for view in views if view.offset > folded.get(view.key, -1)]
    batches: list[ViewBatch] = []
    if pending:
        ranges = pending["ranges"]

        def in_pending(view: PageView) -> bool:
            span = ranges.get(view.key)
            return span is not None and span[0] <= view.offset <= span[1]

        replayed = [view for view in unfolded if in_pending(view)]
        unfolded = [view for view in unfolded if not in_pending(view)]
        if replayed:
            batches.append(view_batch(replayed, pending["batch_id"]))
    # One fold per partition keeps batch ids short and each partition's progress its own.
    by_partition: dict[str, list[PageView]] = {}
    for view in unfolded:
        by_partition.setdefault(view.key, []).append(view)
    for key in sorted(by_partition):
        batches.append(view_batch(by_partition[key], epoch=epoch))
    return batches


def pending_covered(pending: dict | None, records: list) -> bool:
    """Whether ``records`` reach the end of every range of the pending batch."""
    if not pending:
        return True
    seen: dict[str, int] = {}
    for record in records:
        key = partition_key(record.topic, record.partition)
        seen[key] = max(seen.get(key, -1), record.offset)
    return all(seen.get(key, -1) >= last for key, (_, last) in pending["ranges"].items())


class PageViewCounter(ConsumerWorker):
    name = "page-view counter"

    def __init__(
        self,
        *,
        consumer,
        es: Elasticsearch,
        models_api: ModelsApiClient,
        dead_letters: kafka_io.DeadLetterPublisher,
        access_log: AccessLog,
        settings: Settings,
        shutdown: ShutdownFlag,
        alias: str | None = None,
    ):
        super().__init__(
            consumer=consumer, dead_letters=dead_letters, settings=settings, shutdown=shutdown
        )
        self.es = es
        self.models_api = models_api
        self.access_log = access_log
        self.alias = alias or settings.listings_alias
        self.topic = settings.page_views_topic

    @property
    def state(self):
        return self.access_log.state

    def describe(self) -> dict:
        return {"topic": self.topic}

    @property
    def batch_size(self) -> int:
        return self.settings.page_views_batch_size

    @property
    def linger_seconds(self) -> float:
        return self.settings.page_views_linger_seconds

    def poll(self, idle_timeout_seconds: float) -> list:
        records = super().poll(idle_timeout_seconds)
        if records and not pending_covered(self.state.views_pending, records):
            records = self._extend_to_pending(records)
        return records

    def _extend_to_pending(self, records: list) -> list:
        # After a crash mid-fold the written-ahead batch must be re-sent whole (same id,
        # same records); keep reading until its offset ranges are all back.
        deadline = time.monotonic() + PENDING_COVER_TIMEOUT_SECONDS
        while not pending_covered(self.state.views_pending, records):
            if time.monotonic() > deadline or self.shutdown.requested:
                logger.error(
                    "pending view batch could not be re-read whole; folding what is left",
                    extra={"batch_id": self.state.views_pending["batch_id"]},
                )
                break
            records = records + super().poll(0.5)
        return records

    def process(self, records: list) -> None:
        started = time.perf_counter()
        self._detect_recreated_topics(records)
        views, poison = decode_views(records)
        self.dead_letter(poison)
        appended = self._retry(
            lambda: self.access_log.append(
                [(v.key, v.offset, v.user_id, v.listing_id) for v in views]
            ),
            lambda exc: isinstance(exc, OSError),
            "append to access log",
        )
        for batch in plan_folds(
            views, self.state.views_offsets, self.state.views_pending, self.state.epoch
        ):
            self._fold(batch)
        listing_ids = {view.listing_id for view in views}
        changed = 0
        if listing_ids:
            changed = self._sync_search_views(listing_ids)
        self.acknowledge(records)
        logger.info(
            "counted page views",
            extra={
                "records": len(records),
                "views": len(views),
                "appended": appended,
                "listings": len(listing_ids),
                "search_docs_updated": changed,
                "dead_lettered": len(poison),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _sync_search_views(self, listing_ids: set[int]) -> int:
        try:
            counts = self._retry(
                lambda: self.models_api.view_counts(listing_ids),
                models_api_transient,
                "read view counts",
            )
            return self._retry(
                lambda: search.sync_view_counts(self.es, self.alias, counts),
                search.is_transient,
                "update views in search engine",
            )
        except (ModelsApiError, NotFoundError) as exc:
            # Search views are a derived copy; the next batch or a reindex repairs them.
            logger.error("search views not updated", extra={"error": str(exc)[:500]})
            return 0

    def _fold(self, batch: ViewBatch) -> None:
        state = self.state
        state.views_pending = {"batch_id": batch.batch_id, "ranges": batch.ranges}
        self.access_log.save_state()  # write-ahead: a replay re-sends this very batch
        try:
            result = self._retry(
                lambda: self.models_api.add_views(batch.increments, batch_id=batch.batch_id),
                models_api_transient,
                "fold views into models-api",
            )
        except ModelsApiError as exc:
            # Only a permanent refusal gets here (400/413/422: this batch is malformed and
            # resending it cannot help); a 401/403/429/5xx/unreachable models-api is
            # retried above and the offsets stay uncommitted. The views stay in the
            # access log either way.
            logger.error(
                "models-api refused a view batch as malformed; skipped",
                extra={
                    "batch_id": batch.batch_id,
                    "status": exc.status,
                    "views": sum(batch.increments.values()),
                    "error": str(exc),
                },
            )
            result = {}
        for key, (_, last) in batch.ranges.items():
            state.views_offsets[key] = max(state.views_offsets.get(key, -1), last)
        state.views_pending = None
        self.access_log.save_state()
        logger.info(
            "folded views into models-api",
            extra={
                "batch_id": batch.batch_id,
                "listings": len(batch.increments),
                "views": sum(batch.increments.values()),
                "duplicate": bool(result.get("duplicate")),
            },
        )

    def _detect_recreated_topics(self, records: list) -> None:
        """A replay starts at or below offsets already recorded; if the recorded offset is
        beyond the partition's end, the topic was recreated and the state must reset."""
        state = self.state
        suspicious = {
            (record.topic, record.partition)
            for record in records
            if record.offset
            <= state.log_offsets.get(partition_key(record.topic, record.partition), -1)
        }
        if not suspicious:
            return
        partitions = [TopicPartition(topic, partition) for topic, partition in suspicious]
        try:
            ends = self.consumer.end_offsets(partitions)
        except Exception:  # informational check; a replay is the likely, harmless case
            logger.debug("end_offsets failed", exc_info=True)
            return
        reset = False
        for tp, end in ends.items():
            key = partition_key(tp.topic, tp.partition)
            if state.log_offsets.get(key, -1) >= end:
                logger.warning("topic was recreated; resetting its offsets", extra={"key": key})
                state.log_offsets.pop(key, None)
                state.views_offsets.pop(key, None)
                if state.views_pending and key in state.views_pending["ranges"]:
                    state.views_pending = None
                reset = True
        if reset:
            state.epoch += 1
            self.access_log.save_state()


def run(settings: Settings, shutdown: ShutdownFlag) -> None:
    es = search.create_client(settings)
    models_api = ModelsApiClient.from_settings(settings)
    consumer = kafka_io.create_consumer(
        settings.page_views_topic,
        settings.page_views_group,
        settings,
        max_poll_records=settings.page_views_batch_size,
    )
    dead_letters = kafka_io.DeadLetterPublisher(kafka_io.create_producer())
    counter = PageViewCounter(
        consumer=consumer,
        es=es,
        models_api=models_api,
        dead_letters=dead_letters,
        access_log=AccessLog(settings.access_log_path),
        settings=settings,
        shutdown=shutdown,
    )
    try:
        counter.run()
    finally:
        consumer.close(autocommit=False)
        dead_letters.close()
        models_api.close()
        es.close()
