"""The page-view counter: batch ids, write-ahead replay, and one batch end to end
(models-api stubbed with ``responses``; the search side is a real engine in
``SearchViewsTest``)."""

import json

import pytest
import responses

from marketplace_batch import search
from marketplace_batch.access_log import AccessLog
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.models_api import ModelsApiClient
from marketplace_batch.pageviews import (
    PageView,
    PageViewCounter,
    make_batch_id,
    pending_covered,
    plan_folds,
)
from marketplace_batch.search import ListingWrite
from mpcommon import events, search_index

from .conftest import FakeConsumer, listing, records

VIEWS_URL = "http://models.test/api/v1/listings/views"
LISTINGS_URL = "http://models.test/api/v1/listings"


def pv(offset, listing_id, user=1, partition=0):
    return PageView(f"page-views:{partition}", offset, user, listing_id)


def view_bytes(listing_id, user_id):
    return events.encode(events.page_view_event(listing_id, user_id))


class BatchIdTest:
    def test_batch_id_names_partitions_and_ranges(self):
        ranges = {"page-views:1": [4, 9], "page-views:0": [10, 12]}
        assert make_batch_id(ranges) == "page-views:0:10-12,page-views:1:4-9"
        assert make_batch_id(ranges, epoch=2).endswith("#e2")


class PlanFoldsTest:
    def test_new_views_one_batch_with_increments(self):
        (batch,) = plan_folds([pv(3, 10), pv(4, 10), pv(5, 11)], folded={}, pending=None)
        assert batch.batch_id == "page-views:0:3-5"
        assert batch.increments == {10: 2, 11: 1}

    def test_one_batch_per_partition(self):
        views = [pv(3, 10, partition=0), pv(8, 10, partition=1), pv(4, 11, partition=0)]
        batches = plan_folds(views, folded={}, pending=None)
        assert [(b.batch_id, b.increments) for b in batches] == [
            ("page-views:0:3-4", {10: 1, 11: 1}),
            ("page-views:1:8-8", {10: 1}),
        ]

    def test_batch_id_over_models_api_limit_hashed(self):
        ranges = {f"page-views:{p}": [10**9, 10**9 + 1] for p in range(20)}
        batch_id = make_batch_id(ranges)
        assert batch_id.startswith("sha256:") and len(batch_id) <= 200
        assert batch_id == make_batch_id(dict(reversed(list(ranges.items()))))

    def test_already_folded_offsets_skipped(self):
        (batch,) = plan_folds([pv(3, 10), pv(4, 10)], folded={"page-views:0": 3}, pending=None)
        assert batch.ranges == {"page-views:0": [4, 4]}

    def test_pending_batch_rebuilt_exactly_then_rest(self):
        pending = {"batch_id": "page-views:0:3-4", "ranges": {"page-views:0": [3, 4]}}
        first, second = plan_folds([pv(3, 10), pv(4, 11), pv(5, 12)], {}, pending)
        assert (first.batch_id, first.increments) == ("page-views:0:3-4", {10: 1, 11: 1})
        assert (second.batch_id, second.increments) == ("page-views:0:5-5", {12: 1})

    def test_pending_covered_only_when_range_end_seen(self):
        pending = {"batch_id": "x", "ranges": {"page-views:0": [3, 6]}}
        assert not pending_covered(pending, records([b""] * 2, "page-views", start=3))
        assert pending_covered(pending, records([b""] * 4, "page-views", start=3))
        assert pending_covered(None, [])


@pytest.fixture
def counter_factory(settings, dead_letters, monkeypatch):
    synced = []
    monkeypatch.setattr(
        search, "sync_view_counts", lambda es, alias, counts: synced.append(counts) or len(counts)
    )

    def make(consumer):
        counter = PageViewCounter(
            consumer=consumer,
            es=None,
            models_api=ModelsApiClient("http://models.test", "token", backoff_factor=0),
            dead_letters=dead_letters,
            access_log=AccessLog(settings.access_log_path),
            settings=settings,
            shutdown=ShutdownFlag(),
            alias="unused",
        )
        counter.synced = synced
        return counter

    return make


def stub_models_api(counts):
    responses.post(VIEWS_URL, json={"updated": 1, "duplicate": False})
    responses.get(
        LISTINGS_URL,
        json={"results": [{"id": k, "view_count": v} for k, v in counts.items()], "next": None},
    )


class PageViewCounterTest:
    @responses.activate
    def test_batch_logged_folded_synced_then_committed(
        self, counter_factory, settings, dead_letters
    ):
        stub_models_api({10: 5, 11: 1})
        batch = records(
            [view_bytes(10, 1), view_bytes(10, None), view_bytes(11, 2), b"junk"],
            topic="page-views",
            start=100,
        )
        consumer = FakeConsumer([batch])
        counter = counter_factory(consumer)
        assert counter.run_once() == 4
        assert settings.access_log_path.read_text() == "1\t10\n-\t10\n2\t11\n"
        body = json.loads(responses.calls[0].request.body)
        assert body == {"increments": {"10": 2, "11": 1}, "batch_id": "page-views:0:100-102"}
        assert counter.synced == [{10: 5, 11: 1}]
        assert [r.offset for r, _ in dead_letters.published] == [103]
        assert list(consumer.committed.values()) == [104]

    @responses.activate
    def test_replay_after_crash_mid_fold_resends_same_batch(self, counter_factory, settings):
        stub_models_api({10: 2})
        values = [view_bytes(10, 1), view_bytes(10, 2), view_bytes(10, 3)]
        # First life: the fold of offsets 0-1 was written ahead, then the process died.
        crashed = counter_factory(FakeConsumer())
        crashed.access_log.append([("page-views:0", 0, 1, 10), ("page-views:0", 1, 2, 10)])
        crashed.state.views_pending = {
            "batch_id": "page-views:0:0-1",
            "ranges": {"page-views:0": [0, 1]},
        }
        crashed.access_log.save_state()
        # Second life: the uncommitted records come back, plus one new view.
        counter = counter_factory(FakeConsumer([records(values, topic="page-views")]))
        counter.run_once()
        sent = [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]
        assert sent == [
            {"increments": {"10": 2}, "batch_id": "page-views:0:0-1"},
            {"increments": {"10": 1}, "batch_id": "page-views:0:2-2"},
        ]
        assert settings.access_log_path.read_text().count("\n") == 3
        assert counter.state.views_pending is None

    @responses.activate
    def test_models_api_down_retried_before_commit(self, counter_factory):
        responses.post(VIEWS_URL, status=503)
        stub_models_api({10: 1})
        consumer = FakeConsumer([records([view_bytes(10, 1)], topic="page-views")])
        counter_factory(consumer).run_once()
        posts = [c for c in responses.calls if c.request.method == "POST"]
        assert len(posts) >= 2 and posts[-1].response.status_code == 200
        assert consumer.commits == 1

    @pytest.mark.parametrize("status", [401, 403, 408, 429, 500])
    @responses.activate
    def test_refused_fold_retried_then_folded_once_before_commit(
        self, counter_factory, settings, status, caplog
    ):
        # Regression: a 401/403 (e.g. a wrong service token) skipped the batch and
        # committed its offsets: the counts were lost.
        responses.post(VIEWS_URL, status=status, json={"error": "nope"})
        responses.post(VIEWS_URL, status=status, json={"error": "nope"})
        stub_models_api({10: 2})
        consumer = FakeConsumer(
            [records([view_bytes(10, 1), view_bytes(10, 2)], topic="page-views")]
        )
        counter = counter_factory(consumer)

        assert counter.run_once() == 2

        posts = [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]
        assert posts == [{"increments": {"10": 2}, "batch_id": "page-views:0:0-1"}] * 3
        assert consumer.commits == 1
        assert counter.state.views_offsets == {"page-views:0": 1}
        if status < 500:
            assert any(r.levelname == "ERROR" for r in caplog.records)

    @responses.activate
    def test_refused_fold_holds_offsets_until_shutdown(self, counter_factory, settings):
        consumer = FakeConsumer([records([view_bytes(10, 1)], topic="page-views")])
        counter = counter_factory(consumer)
        attempts = []

        def refuse(request):
            attempts.append(request)
            if len(attempts) == 3:
                counter.shutdown.request()  # supervisord stops us while still refused
            return (401, {}, json.dumps({"error": "not_authenticated"}))

        responses.add_callback(responses.POST, VIEWS_URL, callback=refuse)

        assert counter.run_once() == 0  # abandoned, to be redelivered

        assert len(attempts) == 3
        assert consumer.commits == 0
        assert counter.state.views_offsets == {}
        # The written-ahead batch is re-sent with the same id after a restart.
        assert AccessLog(settings.access_log_path).state.views_pending == {
            "batch_id": "page-views:0:0-0",
            "ranges": {"page-views:0": [0, 0]},
        }

    @responses.activate
    def test_malformed_batch_refusal_logged_and_skipped(self, counter_factory, caplog):
        responses.post(VIEWS_URL, status=400, json={"error": "validation_failed"})
        stub_models_api({10: 1})
        consumer = FakeConsumer([records([view_bytes(10, 1)], topic="page-views")])
        counter = counter_factory(consumer)

        assert counter.run_once() == 1

        assert len([c for c in responses.calls if c.request.method == "POST"]) == 1
        assert consumer.commits == 1
        assert "models-api refused a view batch as malformed; skipped" in caplog.text


@pytest.mark.search
class SearchViewsTest:
    @responses.activate
    def test_views_reach_search_documents(self, es, alias, settings, dead_letters):
        search.ensure_listings_index(es, alias)
        document = search_index.listing_document(listing(10, 2))
        search.write_listings(es, [ListingWrite(10, 2, document)], alias)
        stub_models_api({10: 3})
        consumer = FakeConsumer([records([view_bytes(10, 1)] * 3, topic="page-views")])
        PageViewCounter(
            consumer=consumer,
            es=es,
            models_api=ModelsApiClient("http://models.test", "token"),
            dead_letters=dead_letters,
            access_log=AccessLog(settings.access_log_path),
            settings=settings,
            shutdown=ShutdownFlag(),
            alias=alias,
        ).run_once()
        stored = es.get(index=alias, id="10")
        assert stored["_source"]["views"] == 3 and stored["_version"] == 2
