"""The page-view counter: batch ids and fold planning (pure), then the worker on the
real broker and search engine (a topic, group and alias per test) with models-api
stubbed at its HTTP boundary (``responses``): the batch end to end, the write-ahead
replay after a crash, and models-api refusing or down."""

import json
from dataclasses import replace

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
from testsupport import wait_until
from testsupport.kafka import read_messages

from .conftest import (
    ENGINE_WAIT_SECONDS,
    committed_offset,
    listing,
    records,
    run_until_handled,
)

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
def page_views(settings, topic):
    """The counter's settings: this test's topic as the page-views topic."""
    return replace(settings, page_views_topic=topic)


@pytest.fixture
def counter_factory(page_views, dead_letters, es, alias, group_consumer, topic):
    """``counter_factory()``: a (re)started counter in this test's group; its search
    documents are this test's alias."""
    search.ensure_listings_index(es, alias)

    def make() -> PageViewCounter:
        return PageViewCounter(
            consumer=group_consumer(topic),
            es=es,
            models_api=ModelsApiClient("http://models.test", "token", backoff_factor=0),
            dead_letters=dead_letters,
            access_log=AccessLog(page_views.access_log_path),
            settings=page_views,
            shutdown=ShutdownFlag(),
            alias=alias,
        )

    return make


def index_listings(es, alias, *ids):
    search.write_listings(
        es, [ListingWrite(i, 1, search_index.listing_document(listing(i, 1))) for i in ids], alias
    )


def views_in_search(es, alias, listing_id):
    return es.get(index=alias, id=str(listing_id))["_source"]["views"]


def stub_models_api(counts):
    responses.post(VIEWS_URL, json={"updated": 1, "duplicate": False})
    responses.get(
        LISTINGS_URL,
        json={"results": [{"id": k, "view_count": v} for k, v in counts.items()], "next": None},
    )


def posted_folds():
    return [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]


class PageViewCounterTest:
    @responses.activate
    def test_batch_logged_folded_synced_then_committed(
        self, counter_factory, page_views, topic, produce, es, alias
    ):
        index_listings(es, alias, 10, 11)
        stub_models_api({10: 5, 11: 1})
        produce(topic, [view_bytes(10, 1), view_bytes(10, None), view_bytes(11, 2), b"junk"])
        counter = counter_factory()
        assert run_until_handled(counter, 4) == 4
        assert page_views.access_log_path.read_text() == "1\t10\n-\t10\n2\t11\n"
        assert posted_folds() == [{"increments": {"10": 2, "11": 1}, "batch_id": f"{topic}:0:0-2"}]
        assert (views_in_search(es, alias, 10), views_in_search(es, alias, 11)) == (5, 1)
        (parked,) = read_messages(events.dead_letter_topic(topic), 1)
        assert parked.value == b"junk"
        assert committed_offset(counter.consumer, topic) == 4

    @responses.activate
    def test_replay_after_crash_mid_fold_resends_same_batch(
        self, counter_factory, page_views, topic, produce
    ):
        stub_models_api({10: 2})
        produce(topic, [view_bytes(10, 1), view_bytes(10, 2), view_bytes(10, 3)])
        key = f"{topic}:0"
        # First life: the fold of offsets 0-1 was written ahead, then the process died
        # before committing anything.
        crashed = AccessLog(page_views.access_log_path)
        crashed.append([(key, 0, 1, 10), (key, 1, 2, 10)])
        crashed.state.views_pending = {"batch_id": f"{topic}:0:0-1", "ranges": {key: [0, 1]}}
        crashed.save_state()
        # Second life: the uncommitted records come back, plus one new view.
        counter = counter_factory()
        run_until_handled(counter, 3)
        assert posted_folds() == [
            {"increments": {"10": 2}, "batch_id": f"{topic}:0:0-1"},
            {"increments": {"10": 1}, "batch_id": f"{topic}:0:2-2"},
        ]
        assert page_views.access_log_path.read_text().count("\n") == 3
        assert counter.state.views_pending is None

    @responses.activate
    def test_models_api_down_retried_before_commit(self, counter_factory, topic, produce):
        responses.post(VIEWS_URL, status=503)
        stub_models_api({10: 1})
        produce(topic, [view_bytes(10, 1)])
        counter = counter_factory()
        run_until_handled(counter, 1)
        posts = [c for c in responses.calls if c.request.method == "POST"]
        assert len(posts) >= 2 and posts[-1].response.status_code == 200
        assert committed_offset(counter.consumer, topic) == 1

    @pytest.mark.parametrize("status", [401, 403, 408, 429, 500])
    @responses.activate
    def test_refused_fold_retried_then_folded_once_before_commit(
        self, counter_factory, topic, produce, status, caplog
    ):
        # Regression: a 401/403 (e.g. a wrong service token) skipped the batch and
        # committed its offsets: the counts were lost.
        responses.post(VIEWS_URL, status=status, json={"error": "nope"})
        responses.post(VIEWS_URL, status=status, json={"error": "nope"})
        stub_models_api({10: 2})
        produce(topic, [view_bytes(10, 1), view_bytes(10, 2)])
        counter = counter_factory()

        assert run_until_handled(counter, 2) == 2

        assert posted_folds() == [{"increments": {"10": 2}, "batch_id": f"{topic}:0:0-1"}] * 3
        assert committed_offset(counter.consumer, topic) == 2
        assert counter.state.views_offsets == {f"{topic}:0": 1}
        if status < 500:
            assert any(r.levelname == "ERROR" for r in caplog.records)

    @responses.activate
    def test_refused_fold_holds_offsets_until_shutdown(
        self, counter_factory, page_views, topic, produce
    ):
        produce(topic, [view_bytes(10, 1)])
        counter = counter_factory()
        attempts = []

        def refuse(request):
            attempts.append(request)
            if len(attempts) == 3:
                counter.shutdown.request()  # supervisord stops us while still refused
            return (401, {}, json.dumps({"error": "not_authenticated"}))

        responses.add_callback(responses.POST, VIEWS_URL, callback=refuse)

        # Abandoned (run_once handles nothing), to be redelivered.
        wait_until(
            lambda: counter.run_once(idle_timeout_seconds=0.5) == 0 and len(attempts) >= 3,
            ENGINE_WAIT_SECONDS,
            interval=0,
            message="three refused folds",
        )

        assert len(attempts) == 3
        assert committed_offset(counter.consumer, topic) is None
        assert counter.state.views_offsets == {}
        # The written-ahead batch is re-sent with the same id after a restart.
        assert AccessLog(page_views.access_log_path).state.views_pending == {
            "batch_id": f"{topic}:0:0-0",
            "ranges": {f"{topic}:0": [0, 0]},
        }

    @responses.activate
    def test_malformed_batch_refusal_logged_and_skipped(
        self, counter_factory, topic, produce, caplog
    ):
        responses.post(VIEWS_URL, status=400, json={"error": "validation_failed"})
        stub_models_api({10: 1})
        produce(topic, [view_bytes(10, 1)])
        counter = counter_factory()

        assert run_until_handled(counter, 1) == 1

        assert len(posted_folds()) == 1
        assert committed_offset(counter.consumer, topic) == 1
        assert "models-api refused a view batch as malformed; skipped" in caplog.text


@pytest.mark.search
class SearchViewsTest:
    @responses.activate
    def test_views_reach_search_documents_keeping_their_version(
        self, es, alias, counter_factory, topic, produce
    ):
        document = search_index.listing_document(listing(10, 2))
        search.ensure_listings_index(es, alias)
        search.write_listings(es, [ListingWrite(10, 2, document)], alias)
        stub_models_api({10: 3})
        produce(topic, [view_bytes(10, 1)] * 3)
        run_until_handled(counter_factory(), 3)
        stored = es.get(index=alias, id="10")
        assert stored["_source"]["views"] == 3 and stored["_version"] == 2
