"""The indexer: batch planning and bulk bodies (pure), then the worker on the real
broker and search engine (a topic, group and alias per test): writes, offsets, dead
letters, an unreachable engine, and replays (the same event twice, a stale ``created``
after a ``deleted``, a crash before the offset commit)."""

import pytest
from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import Elasticsearch
from kafka import TopicPartition

from marketplace_batch import search
from marketplace_batch.indexer import ListingIndexer, plan_batch
from marketplace_batch.kafka_io import PausedPartitions
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.search import ListingWrite, bulk_operations, classify_bulk_items
from mpcommon import events
from testsupport import wait_until
from testsupport.kafka import end_offset, read_messages

from .conftest import (
    CLOSED_PORT_URL,
    ENGINE_WAIT_SECONDS,
    committed_offset,
    listing_event_bytes,
    records,
    run_until_handled,
)


class PlanBatchTest:
    def test_plan_valid_events_become_versioned_writes(self):
        plan = plan_batch(records([listing_event_bytes(1, 1), listing_event_bytes(2, 3)]))
        assert [(w.listing_id, w.version) for w in plan.writes] == [(1, 1), (2, 3)]
        assert plan.writes[0].document["title"] == "Red racing bike"
        assert plan.writes[0].document["price"] == 120.0
        assert plan.poison == []

    def test_plan_same_listing_twice_keeps_newest_version_only(self):
        values = [listing_event_bytes(1, 2), listing_event_bytes(1, 1), listing_event_bytes(1, 3)]
        plan = plan_batch(records(values))
        assert [(w.listing_id, w.version) for w in plan.writes] == [(1, 3)]
        assert plan.superseded == 2

    def test_plan_deleted_event_becomes_delete(self):
        value = listing_event_bytes(5, 4, event_type=events.LISTING_DELETED)
        (write,) = plan_batch(records([value])).writes
        assert write.is_delete and write.version == 4

    def test_plan_invalid_json_and_schema_are_poison(self):
        bad = [b"{not json", b'{"v": 1, "type": "listing.created"}', b"\xff\xfe", None]
        plan = plan_batch(records(bad + [listing_event_bytes(1, 1)]))
        assert len(plan.poison) == 4
        assert all(reason.startswith("invalid event") for _, reason in plan.poison)
        assert [w.listing_id for w in plan.writes] == [1]

    def test_plan_listing_id_mismatch_is_poison(self):
        event = events.listing_event(events.LISTING_UPDATED, 9, 2, {**_listing(1), "version": 2})
        plan = plan_batch(records([events.encode(event)]))
        assert plan.writes == [] and "differs" in plan.poison[0][1]


def _listing(listing_id):
    from .conftest import listing

    return listing(listing_id)


class BulkBodyTest:
    def test_bulk_operations_use_external_versions(self):
        writes = [ListingWrite(1, 3, {"id": 1}), ListingWrite(2, 5, None)]
        assert bulk_operations(writes, "idx") == [
            {"index": {"_index": "idx", "_id": "1", "version": 3, "version_type": "external"}},
            {"id": 1},
            {"delete": {"_index": "idx", "_id": "2", "version": 5, "version_type": "external"}},
        ]

    def test_classify_conflict_is_stale_and_missing_delete_applied(self):
        writes = [
            ListingWrite(1, 1, {}),
            ListingWrite(2, 1, {}),
            ListingWrite(3, 1, None),
            ListingWrite(4, 1, {}),
            ListingWrite(5, 1, {}),
            ListingWrite(6, 1, {}),
        ]
        items = [
            {"index": {"status": 201}},
            {"index": {"status": 409, "error": {"type": "version_conflict_engine_exception"}}},
            {"delete": {"status": 404}},
            {"index": {"status": 400, "error": {"type": "document_parsing_exception"}}},
            {"index": {"status": 429, "error": {"type": "es_rejected_execution_exception"}}},
            {"index": {"status": 503, "error": {"type": "unavailable_shards_exception"}}},
        ]
        outcome = classify_bulk_items(writes, items)
        assert [w.listing_id for w in outcome.applied] == [1, 3]
        assert [w.listing_id for w in outcome.stale] == [2]
        assert [w.listing_id for w, _ in outcome.rejected] == [4]
        assert "document_parsing_exception" in outcome.rejected[0][1]
        assert [w.listing_id for w, _ in outcome.transient] == [5, 6]


class EngineDownFor:
    """The real engine, unreachable for the first ``failures`` bulk calls: those go to a
    closed port through a real client (the very error the indexer sees when the engine
    is down); ``on_failure`` runs after each."""

    def __init__(self, es: Elasticsearch, failures: int, on_failure=None):
        self._es = es
        self._down = Elasticsearch(CLOSED_PORT_URL, max_retries=0, request_timeout=5)
        self.failures = failures
        self.attempts = 0
        self.on_failure = on_failure

    def bulk(self, **kwargs):
        self.attempts += 1
        if self.attempts > self.failures:
            return self._es.bulk(**kwargs)
        try:
            return self._down.bulk(**kwargs)
        finally:
            if self.on_failure is not None:
                self.on_failure()

    def close(self):
        self._down.close()


class Crash(BaseException):
    """The process dies (not an Exception: nothing in the worker catches it)."""


class CrashingBeforeCommit(ListingIndexer):
    """An indexer whose process dies after writing a batch, before committing it."""

    def acknowledge(self, records):
        raise Crash


@pytest.fixture
def indexer(es, alias, topic, settings, dead_letters, group_consumer):
    """``indexer()``: a (re)started indexer, consuming this test's topic in this test's
    group into this test's alias (its index created first); a fresh consumer each time."""
    search.ensure_listings_index(es, alias)

    def start(*, engine=es, shutdown=None, kind=ListingIndexer) -> ListingIndexer:
        return kind(
            consumer=group_consumer(topic),
            es=engine,
            dead_letters=dead_letters,
            settings=settings,
            shutdown=shutdown or ShutdownFlag(),
            alias=alias,
        )

    return start


def stored(es, alias, listing_id):
    """The document of ``listing_id`` as the engine has it (None when absent)."""
    found = es.options(ignore_status=404).get(index=alias, id=str(listing_id))
    return found.body if found.get("found") else None


class ListingIndexerTest:
    def test_events_are_indexed_then_committed(self, es, alias, topic, produce, indexer):
        produce(topic, [listing_event_bytes(1, 1), listing_event_bytes(2, 1, title="Oak chair")])
        worker = indexer()
        assert run_until_handled(worker, 2) == 2
        assert committed_offset(worker.consumer, topic) == 2
        assert stored(es, alias, 1)["_source"]["title"] == "Red racing bike"
        assert stored(es, alias, 2)["_version"] == 1

    def test_cover_is_the_first_photo_or_null(self, es, alias, topic, produce, indexer):
        photos = [
            {
                "id": 20 + position,
                "position": position,
                "width": 800,
                "height": 600,
                "url": f"/media/{str(position) * 64}.jpg",
                "card_url": None if position else "/media/" + "c" * 64 + ".webp",
                "detail_url": None,
            }
            for position in range(3)
        ]
        produce(
            topic,
            [
                listing_event_bytes(1, 1, photos=photos),
                listing_event_bytes(2, 1),  # an event from before photos existed
                listing_event_bytes(3, 1, photos=[], status="reserved"),
            ],
        )
        worker = indexer()
        assert run_until_handled(worker, 3) == 3
        assert stored(es, alias, 1)["_source"]["cover"] == photos[0]
        assert stored(es, alias, 2)["_source"]["cover"] is None
        reserved = stored(es, alias, 3)["_source"]
        assert (reserved["cover"], reserved["status"]) == (None, "reserved")
        assert end_offset(events.dead_letter_topic(topic)) == 0

    def test_engine_unreachable_retried_without_commit_until_it_answers(
        self, es, alias, topic, produce, indexer
    ):
        produce(topic, [listing_event_bytes(1, 1)])
        commits_while_down: list = []
        engine = EngineDownFor(es, failures=2)
        worker = indexer(engine=engine)
        engine.on_failure = lambda: commits_while_down.append(
            committed_offset(worker.consumer, topic)
        )
        try:
            assert run_until_handled(worker, 1) == 1
        finally:
            engine.close()
        assert engine.attempts == 3
        assert commits_while_down == [None, None]
        assert committed_offset(worker.consumer, topic) == 1
        assert worker.consumer.paused() == set()  # paused while waiting, resumed afterwards
        assert stored(es, alias, 1) is not None

    def test_shutdown_while_engine_unreachable_leaves_the_batch_to_the_next_start(
        self, es, alias, topic, produce, indexer
    ):
        produce(topic, [listing_event_bytes(1, 1)])
        shutdown = ShutdownFlag()
        shutdown.request()  # supervisord stops the worker while the engine is down
        engine = EngineDownFor(es, failures=10**6)
        stopping = indexer(engine=engine, shutdown=shutdown)
        try:
            wait_until(
                lambda: stopping.run_once(idle_timeout_seconds=0.5) == 0 and engine.attempts,
                ENGINE_WAIT_SECONDS,
                interval=0,
                message="a write attempt",
            )
        finally:
            engine.close()
        assert committed_offset(stopping.consumer, topic) is None
        stopping.consumer.close(autocommit=False)
        restarted = indexer()
        assert run_until_handled(restarted, 1) == 1  # redelivered
        assert committed_offset(restarted.consumer, topic) == 1
        assert stored(es, alias, 1) is not None

    def test_poison_and_rejected_documents_dead_lettered_then_committed(
        self, es, alias, topic, produce, indexer
    ):
        rejected = listing_event_bytes(2, 1, created_at="last tuesday")  # not a date
        produce(topic, [b"garbage", listing_event_bytes(1, 1), rejected])
        worker = indexer()
        assert run_until_handled(worker, 3) == 3
        parked = read_messages(events.dead_letter_topic(topic), 2)
        assert [message.value for message in parked] == [b"garbage", rejected]  # raw
        assert committed_offset(worker.consumer, topic) == 3
        assert stored(es, alias, 1) is not None
        assert stored(es, alias, 2) is None

    def test_no_records_no_commit(self, topic, indexer):
        worker = indexer()
        wait_until(
            lambda: worker.run_once(idle_timeout_seconds=0.2) == 0 and worker.consumer.assignment(),
            ENGINE_WAIT_SECONDS,
            interval=0,
            message="the partition assigned",
        )
        assert worker.run_once(idle_timeout_seconds=0.2) == 0
        assert committed_offset(worker.consumer, topic) is None


class IndexerReplayTest:
    """At-least-once delivery, exactly-once results: the engine refuses what is stale."""

    def test_same_event_twice_is_one_document_at_its_version(
        self, es, alias, topic, produce, indexer
    ):
        event = listing_event_bytes(1, 1)
        produce(topic, [event])
        worker = indexer()
        run_until_handled(worker, 1)
        first = stored(es, alias, 1)
        produce(topic, [event])  # e.g. the relay published it again after a crash
        run_until_handled(worker, 1)
        again = stored(es, alias, 1)
        assert (again["_version"], again["_seq_no"]) == (1, first["_seq_no"])  # not rewritten
        es.indices.refresh(index=alias)
        assert es.count(index=alias)["count"] == 1
        assert end_offset(events.dead_letter_topic(topic)) == 0
        assert committed_offset(worker.consumer, topic) == 2

    def test_stale_created_after_deleted_stays_deleted(self, es, alias, topic, produce, indexer):
        created = listing_event_bytes(1, 1)
        worker = indexer()
        produce(topic, [created])
        run_until_handled(worker, 1)
        produce(topic, [listing_event_bytes(1, 2, event_type=events.LISTING_DELETED)])
        run_until_handled(worker, 1)
        assert stored(es, alias, 1) is None
        # The engine remembers the delete's version (for index.gc_deletes, 60 s): the
        # replayed creation, version 1, is refused as stale.
        produce(topic, [created])
        run_until_handled(worker, 1)
        assert stored(es, alias, 1) is None
        assert end_offset(events.dead_letter_topic(topic)) == 0
        assert committed_offset(worker.consumer, topic) == 3

    def test_crash_before_the_offset_commit_redelivers_and_is_idempotent(
        self, es, alias, topic, produce, indexer
    ):
        produce(
            topic,
            [
                listing_event_bytes(1, 1),
                listing_event_bytes(2, 1),
                listing_event_bytes(1, 2, title="Blue bike"),
                listing_event_bytes(2, 2, event_type=events.LISTING_DELETED),
                listing_event_bytes(3, 1),
            ],
        )
        crashing = indexer(kind=CrashingBeforeCommit)

        def crashed() -> bool:
            try:
                crashing.run_once(idle_timeout_seconds=0.5)
            except Crash:
                return True
            return False

        wait_until(crashed, ENGINE_WAIT_SECONDS, interval=0, message="the crash")
        written = {i: stored(es, alias, i) for i in (1, 2, 3)}
        assert committed_offset(crashing.consumer, topic) is None
        crashing.consumer.close(autocommit=False)  # the process is gone

        restarted = indexer()
        assert run_until_handled(restarted, 5) == 5  # every record again
        assert committed_offset(restarted.consumer, topic) == 5
        assert stored(es, alias, 2) is None and written[2] is None
        for listing_id in (1, 3):
            now = stored(es, alias, listing_id)
            before = written[listing_id]
            assert (now["_version"], now["_seq_no"]) == (before["_version"], before["_seq_no"])
        assert stored(es, alias, 1)["_source"]["title"] == "Blue bike"
        assert end_offset(events.dead_letter_topic(topic)) == 0


def test_is_transient_classifies_connection_errors():
    assert search.is_transient(TransportConnectionError("x"))
    assert not search.is_transient(ValueError("x"))


class PausedPartitionsTest:
    def test_keepalive_joins_the_group_paused_and_neither_processes_nor_skips(
        self, topic, produce, group_consumer
    ):
        produce(topic, [listing_event_bytes(1, 1), listing_event_bytes(2, 1)])
        consumer = group_consumer(topic)
        paused = PausedPartitions(consumer)
        partition = TopicPartition(topic, 0)
        # A dependency is down from the start: the worker only keeps its place in the
        # group, once a second (its retry pause), and puts back the records a rebalance
        # hands out meanwhile. (About 2 s; the deadline is for a loaded broker.)
        wait_until(
            lambda: paused.keepalive() or consumer.paused() == {partition},
            2 * ENGINE_WAIT_SECONDS,
            interval=1.0,
            message="the partition assigned and paused",
        )
        for _ in range(3):
            paused.keepalive()
        paused.resume()
        offsets: list[int] = []

        def fetched_both() -> bool:
            offsets.extend(r.offset for rs in consumer.poll(timeout_ms=500).values() for r in rs)
            return len(offsets) >= 2

        wait_until(fetched_both, ENGINE_WAIT_SECONDS, interval=0, message="both records")
        assert offsets == [0, 1]
