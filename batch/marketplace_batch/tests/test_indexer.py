"""Unit tests of the indexer: batch planning, bulk bodies, response handling, offsets."""

from elastic_transport import ConnectionError as TransportConnectionError

from marketplace_batch import search
from marketplace_batch.indexer import ListingIndexer, plan_batch
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.search import ListingWrite, bulk_operations, classify_bulk_items
from mpcommon import events

from .conftest import FakeConsumer, listing_event_bytes, records


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


class FakeSearch:
    """Bulk endpoint answering from a script: an exception, or a status per item."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def bulk(self, operations):
        self.calls.append(operations)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        actions = [op for op in operations if "index" in op or "delete" in op]
        return {
            "items": [
                {"index": {"status": status}} for status, _ in zip(answer, actions, strict=True)
            ]
        }


def make_indexer(consumer, es, dead_letters, settings, shutdown=None):
    return ListingIndexer(
        consumer=consumer,
        es=es,
        dead_letters=dead_letters,
        settings=settings,
        shutdown=shutdown or ShutdownFlag(),
        alias="listings-test",
    )


class ListingIndexerTest:
    def test_run_once_writes_one_bulk_then_commits(self, settings, dead_letters):
        batch = records([listing_event_bytes(1, 1), listing_event_bytes(2, 1)], start=10)
        consumer = FakeConsumer([batch])
        es = FakeSearch([201, 201])
        assert make_indexer(consumer, es, dead_letters, settings).run_once() == 2
        assert len(es.calls) == 1
        assert consumer.committed == {_tp(): 12}

    def test_engine_down_retried_without_commit_until_it_answers(self, settings, dead_letters):
        consumer = FakeConsumer([records([listing_event_bytes(1, 1)])])
        es = FakeSearch(
            TransportConnectionError("refused"), TransportConnectionError("refused"), [201]
        )
        make_indexer(consumer, es, dead_letters, settings).run_once()
        assert len(es.calls) == 3
        assert consumer.commits == 1
        assert consumer.paused() == set()  # paused while waiting, resumed afterwards

    def test_shutdown_while_engine_down_exits_without_commit(self, settings, dead_letters):
        shutdown = ShutdownFlag()
        consumer = FakeConsumer([records([listing_event_bytes(1, 1)])])

        class DownSearch:
            def bulk(self, operations):
                shutdown.request()
                raise TransportConnectionError("refused")

        make_indexer(consumer, DownSearch(), dead_letters, settings, shutdown).run_once()
        assert consumer.commits == 0

    def test_poison_and_rejected_documents_dead_lettered_then_committed(
        self, settings, dead_letters
    ):
        batch = records([b"garbage", listing_event_bytes(1, 1), listing_event_bytes(2, 1)])
        consumer = FakeConsumer([batch])
        es = FakeSearch([201, 400])
        make_indexer(consumer, es, dead_letters, settings).run_once()
        assert [(r.offset, reason[:13]) for r, reason in dead_letters.published] == [
            (0, "invalid event"),
            (2, "status 400"),
        ]
        assert consumer.committed == {_tp(): 3}

    def test_transient_item_failures_retried_alone(self, settings, dead_letters):
        consumer = FakeConsumer([records([listing_event_bytes(1, 1), listing_event_bytes(2, 1)])])
        es = FakeSearch([201, 429], [201])
        make_indexer(consumer, es, dead_letters, settings).run_once()
        retried = es.calls[1]
        assert [op["index"]["_id"] for op in retried if "index" in op] == ["2"]
        assert consumer.commits == 1

    def test_conflicts_count_as_success(self, settings, dead_letters):
        consumer = FakeConsumer([records([listing_event_bytes(1, 1)])])
        make_indexer(consumer, FakeSearch([409]), dead_letters, settings).run_once()
        assert consumer.commits == 1 and dead_letters.published == []

    def test_no_records_no_commit(self, settings, dead_letters):
        consumer = FakeConsumer([])
        assert (
            make_indexer(consumer, FakeSearch(), dead_letters, settings).run_once(
                idle_timeout_seconds=0
            )
            == 0
        )
        assert consumer.commits == 0


def _tp():
    from kafka import TopicPartition

    return TopicPartition(events.TOPIC_LISTINGS, 0)


def test_is_transient_classifies_connection_errors():
    assert search.is_transient(TransportConnectionError("x"))
    assert not search.is_transient(ValueError("x"))


class PausedPartitionsTest:
    def test_keepalive_rewinds_records_of_newly_assigned_partitions(self):
        from marketplace_batch.kafka_io import PausedPartitions

        class RebalancingConsumer(FakeConsumer):
            seeks = []

            def seek(self, tp, offset):
                self.seeks.append((tp, offset))

        batch = records([listing_event_bytes(1, 1)], start=42)
        consumer = RebalancingConsumer([batch])
        PausedPartitions(consumer).keepalive()
        assert consumer.seeks == [(("tp", 0), 42)]
        assert ("tp", 0) in consumer.paused()
