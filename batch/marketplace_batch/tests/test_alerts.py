"""The alerts worker: planning (pure), the saved-searches index on the real search engine
(created, extended), saved searches matching exactly what the search page shows, and
the worker on the real broker (two topics and two groups per test) with models-api
stubbed at its HTTP boundary (``responses``): two matches posted once, paused and
deleted searches silent, inactive listings ignored, a search saved just before a
listing caught, poison dead-lettered, models-api down then back (nothing lost)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from dataclasses import replace
from decimal import Decimal

import pytest
import responses
from elasticsearch import BadRequestError
from responses import matchers

from marketplace_batch import kafka_io, models_api, percolator, search
from marketplace_batch.alerts import (
    AlertsWorker,
    ListingMatcher,
    SavedSearchIndexer,
    plan_listings,
    plan_saved_searches,
)
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.models_api import ModelsApiClient
from marketplace_batch.settings import REPO_ROOT
from mpcommon import events, kafka_topics, search_index, search_query
from testsupport.kafka import end_offset, read_messages

from .conftest import (
    ENGINE_WAIT_SECONDS,
    committed_offset,
    listing,
    listing_event_bytes,
    records,
    run_until_handled,
    unique_name,
)

BASE = "http://models.test/api/v1"
MATCHES_URL = f"{BASE}/saved-searches/matches"


def saved_event(saved_search_id: int, query: str = "", *, paused=False, user_id=5, **filters):
    return events.encode(
        events.saved_search_event(
            events.SAVED_SEARCH_UPSERTED,
            saved_search_id=saved_search_id,
            user_id=user_id,
            saved_search={"query": query, "filters": filters, "paused": paused},
        )
    )


def deleted_event(saved_search_id: int, user_id: int = 5) -> bytes:
    return events.encode(
        events.saved_search_event(
            events.SAVED_SEARCH_DELETED,
            saved_search_id=saved_search_id,
            user_id=user_id,
            saved_search=None,
        )
    )


def posted() -> list[dict]:
    """The bodies POSTed to /saved-searches/matches, in order."""
    return [
        json.loads(call.request.body) for call in responses.calls if call.request.url == MATCHES_URL
    ]


# --------------------------------------------------------------------------- planning
class PlanSavedSearchesTest:
    def test_upserted_becomes_percolator_document(self):
        plan = plan_saved_searches(
            records([saved_event(4, "Red Bike", category="bikes", max_price="200")])
        )
        (write,) = plan.writes
        assert write.saved_search_id == 4 and not write.is_delete
        expected = search_query.listing_query("red bike", max_price=Decimal(200), category="bikes")
        assert write.document["query"] == expected
        assert write.document["search"] == {
            "query": "Red Bike",
            "filters": {"category": "bikes", "max_price": "200"},
            "query_dsl": expected,
        }
        assert write.document["user_id"] == 5

    def test_paused_and_deleted_become_deletes(self):
        plan = plan_saved_searches(records([saved_event(1, "lamp", paused=True), deleted_event(2)]))
        assert [(w.saved_search_id, w.is_delete) for w in plan.writes] == [(1, True), (2, True)]

    def test_last_event_per_search_wins_in_event_order(self):
        values = [saved_event(1, "a"), saved_event(2, "b"), deleted_event(1), saved_event(3, "c")]
        plan = plan_saved_searches(records(values, topic=events.TOPIC_SAVED_SEARCHES))
        assert [(w.saved_search_id, w.is_delete) for w in plan.writes] == [
            (2, False),
            (1, True),
            (3, False),
        ]
        assert plan.superseded == 1

    def test_invalid_events_are_poison(self):
        upsert_without_search = events.encode(
            events.saved_search_event(
                events.SAVED_SEARCH_UPSERTED, saved_search_id=1, user_id=1, saved_search=None
            )
        )
        bad = [
            b"{not json",
            None,
            listing_event_bytes(1),
            saved_event(1, "bike", min_price="cheap"),
            upsert_without_search,
        ]
        plan = plan_saved_searches(records(bad + [saved_event(9, "ok")]))
        assert len(plan.poison) == 5
        assert [w.saved_search_id for w in plan.writes] == [9]


class PlanListingsTest:
    def test_created_active_listings_once_each(self):
        values = [listing_event_bytes(1), listing_event_bytes(2), listing_event_bytes(1)]
        plan = plan_listings(records(values))
        assert [new.listing_id for new in plan.listings] == [1, 2]
        assert plan.listings[0].document == search_index.listing_document(listing(1))
        assert plan.ignored == 1

    def test_updates_deletions_and_inactive_listings_ignored(self):
        values = [
            listing_event_bytes(1, 2),  # listing.updated
            listing_event_bytes(2, 3, event_type=events.LISTING_DELETED),
            listing_event_bytes(3, status="reserved"),
            listing_event_bytes(4, status="withdrawn"),
        ]
        plan = plan_listings(records(values))
        assert plan.listings == [] and plan.ignored == 4 and plan.poison == []

    def test_invalid_events_are_poison(self):
        plan = plan_listings(records([b"[]", saved_event(1, "x"), listing_event_bytes(5)]))
        assert len(plan.poison) == 2
        assert [new.listing_id for new in plan.listings] == [5]


class PercolateMatcherTest:
    class StubEngine:
        """Answers percolate searches from a list of pages (hits with slots)."""

        def __init__(self, pages):
            self.pages = list(pages)
            self.requests: list[dict] = []

        def search(self, **request):
            self.requests.append(request)
            return {"hits": {"hits": self.pages.pop(0)}}

    def test_one_request_per_batch_slots_mapped_to_saved_search_ids(self):
        engine = self.StubEngine(
            [
                [
                    {"_id": "3", "sort": [3], "fields": {"_percolator_document_slot": [0, 2]}},
                    {"_id": "8", "sort": [8], "fields": {"_percolator_document_slot": [2]}},
                ]
            ]
        )
        documents = [{"id": 1}, {"id": 2}, {"id": 3}]
        matches = percolator.PercolateMatcher(engine, "ss").match(documents)
        assert matches == {0: [3], 2: [3, 8]}
        (request,) = engine.requests
        assert request["index"] == "ss"
        assert request["query"] == {
            "bool": {"filter": [{"percolate": {"field": "query", "documents": documents}}]}
        }
        assert request["source"] is False

    def test_pages_followed_with_search_after(self, monkeypatch):
        monkeypatch.setattr(percolator, "PAGE_SIZE", 2)
        page = [
            {"_id": "1", "sort": [1], "fields": {"_percolator_document_slot": [0]}},
            {"_id": "2", "sort": [2], "fields": {"_percolator_document_slot": [0]}},
        ]
        last = [{"_id": "5", "sort": [5], "fields": {"_percolator_document_slot": [0]}}]
        engine = self.StubEngine([page, last])
        assert percolator.PercolateMatcher(engine, "ss").match([{"id": 1}]) == {0: [1, 2, 5]}
        assert [r["search_after"] for r in engine.requests] == [None, [2]]


# --------------------------------------------------------------------------- the index
@pytest.fixture
def saved_index(alias):
    """This test's saved-searches index (and candidates index): deleted with the alias."""
    return f"{alias}-saved"


def percolator_refused(es, index: str) -> bool:
    """Whether the engine refuses a percolator field (no percolator module)."""
    try:
        es.indices.create(index=index, mappings={"properties": {"q": {"type": "percolator"}}})
    except BadRequestError as exc:
        return percolator._percolator_unknown(exc)
    es.indices.delete(index=index)
    return False


class SavedSearchesIndexTest:
    def test_missing_index_created_with_the_listing_fields_and_analyzers(self, es, saved_index):
        has_percolator = percolator.ensure_saved_searches_index(es, saved_index)
        properties = es.indices.get_mapping(index=saved_index)[saved_index]["mappings"][
            "properties"
        ]
        listings = search_index.LISTINGS_MAPPING["properties"]
        assert set(listings) | set(search_index.SAVED_SEARCH_FIELDS) <= set(properties)
        for name in ("title", "description", "category_name", "seller_name"):
            assert properties[name]["type"] == "text"
            assert properties[name]["analyzer"] == listings[name]["analyzer"] == "english"
        for name in ("category", "condition", "status"):
            assert properties[name]["type"] == "keyword"
        assert properties["price"]["type"] == "scaled_float"
        if has_percolator:
            assert properties["query"] == {"type": "percolator"}
        else:  # only because the engine cannot
            assert "query" not in properties
            assert percolator_refused(es, f"{saved_index}-probe")

    def test_existing_index_extended_with_missing_fields(self, es, saved_index):
        es.indices.create(
            index=saved_index,
            mappings={"dynamic": "strict", "properties": {"saved_search_id": {"type": "long"}}},
        )
        has_percolator = percolator.ensure_saved_searches_index(es, saved_index)
        properties = es.indices.get_mapping(index=saved_index)[saved_index]["mappings"][
            "properties"
        ]
        wanted = search_index.saved_searches_mapping(percolator=has_percolator)["properties"]
        assert set(properties) == set(wanted)
        assert properties["description"]["analyzer"] == "english"
        # Idempotent: a second start changes nothing.
        assert percolator.ensure_saved_searches_index(es, saved_index) == has_percolator

    def test_query_field_of_another_type_refused(self, es, saved_index):
        es.indices.create(index=saved_index, mappings={"properties": {"query": {"type": "text"}}})
        with pytest.raises(RuntimeError, match="not a percolator"):
            percolator.ensure_saved_searches_index(es, saved_index)


# ------------------------------------------------------------ matching = the search page
def search_page_queries():
    """experience-api's search/queries.py itself (pure: stdlib and mpcommon only), so the
    comparison below is with the request the search page really sends."""
    path = REPO_ROOT / "experience-api" / "search" / "queries.py"
    spec = importlib.util.spec_from_file_location("experience_search_queries", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


SAMPLE_LISTINGS = [
    listing(1, title="Red racing bike", description="Barely used, new tyres.", price="120.00"),
    listing(
        2,
        title="Mountain bicycle",
        description="A sturdy bike for trails.",
        price="300.00",
        condition="fair",
    ),
    listing(
        3,
        title="Brass lamp",
        description="Vintage desk lamp, works.",
        price="25.00",
        category={"slug": "home", "name": "Home & Garden"},
        condition="like_new",
    ),
    listing(
        4,
        title="Vintage camera",
        description="Film camera with a leather case.",
        price="80.00",
        category={"slug": "electronics", "name": "Electronics"},
        condition="good",
    ),
    listing(
        5,
        title="Kids bike",
        description="Small bike with stabilisers.",
        price="40.00",
        condition="new",
    ),
    listing(
        6,
        title="Garden chairs",
        description="Two folding chairs.",
        price="30.00",
        category={"slug": "home", "name": "Home & Garden"},
        condition="poor",
    ),
]

# (query, filters, the listings the search page shows for it)
EXAMPLES = [
    ("bike", {}, {1, 2, 5}),  # title or description
    ("BIKES", {}, {1, 2, 5}),  # case and stemming
    ("bkie", {}, {1, 2, 5}),  # a typo (a transposition is one edit)
    ("camra", {}, {4}),  # a typo (one letter missing)
    ("xbike", {}, set()),  # the first letter must be right
    ("vint", {}, {3, 4}),  # the last word as a prefix
    ("lamp vintage", {}, {3}),  # every word, in any order, within one field
    ("leather case", {}, {4}),  # description words
    ("garden", {}, {3, 6}),  # the category name is searched too
    ("", {"category": "home"}, {3, 6}),
    ("bike", {"min_price": "40", "max_price": "120.00"}, {1, 5}),  # inclusive bounds
    ("bike", {"min_price": "120.01"}, {2}),
    ("", {"max_price": "30"}, {3, 6}),
    ("bike", {"condition": "new"}, {5}),
    ("", {"category": "bikes", "condition": "fair"}, {2}),
    ("telescope", {}, set()),
]


@pytest.fixture
def sample_listings_index(es, alias):
    """The sample listings indexed as the indexer indexes them, behind ``alias``."""
    search.ensure_listings_index(es, alias)
    operations = []
    for sample in SAMPLE_LISTINGS:
        operations.append({"index": {"_index": alias, "_id": str(sample["id"])}})
        operations.append(search_index.listing_document(sample))
    assert not es.bulk(operations=operations, refresh=True)["errors"]
    return alias


def search_page_ids(es, index: str, queries, q: str, filters: dict) -> set[int]:
    """What the search page lists for ``q`` and the filters it has; the condition, which
    the page has no parameter for, narrows those same results."""
    params = queries.SearchParams(
        q=q,
        category=filters.get("category"),
        min_price=Decimal(filters["min_price"]) if "min_price" in filters else None,
        max_price=Decimal(filters["max_price"]) if "max_price" in filters else None,
        page_size=100,
    )
    body = queries.build_search_body(queries.normalised(params))
    hits = es.search(index=index, body=body)["hits"]["hits"]
    return {
        hit["_source"]["id"]
        for hit in hits
        if "condition" not in filters or hit["_source"]["condition"] == filters["condition"]
    }


class MatchesWhatSearchShowsTest:
    @pytest.mark.parametrize("strategy", ["the engine's best", "search"])
    def test_examples_match_exactly_the_search_page_results(
        self, strategy, es, saved_index, sample_listings_index
    ):
        has_percolator = percolator.ensure_saved_searches_index(es, saved_index)
        if strategy == "search" or not has_percolator:
            matcher = percolator.SearchMatcher(es, saved_index)
        else:
            matcher = percolator.PercolateMatcher(es, saved_index)
        matcher.prepare()
        plan = plan_saved_searches(
            records([saved_event(n, q, **filters) for n, (q, filters, _) in enumerate(EXAMPLES, 1)])
        )
        outcome = percolator.write_until_settled(
            es, plan.writes, saved_index, percolator=has_percolator, retry=_no_retry
        )
        assert len(outcome.indexed) == len(EXAMPLES) and not outcome.rejected

        documents = [search_index.listing_document(sample) for sample in SAMPLE_LISTINGS]
        matches = matcher.match(documents)
        alerted: dict[int, set[int]] = {n: set() for n in range(1, len(EXAMPLES) + 1)}
        for slot, saved_ids in matches.items():
            for saved_id in saved_ids:
                alerted[saved_id].add(SAMPLE_LISTINGS[slot]["id"])

        queries = search_page_queries()
        for n, (q, filters, expected) in enumerate(EXAMPLES, 1):
            shown = search_page_ids(es, sample_listings_index, queries, q, filters)
            assert shown == expected, f"search page for {q!r} {filters}"
            assert alerted[n] == expected, f"saved search {q!r} {filters}"


def _no_retry(operation, is_transient, what):  # noqa: ARG001 - the Retrier's signature
    return operation()


# --------------------------------------------------------------------------- the worker
@pytest.fixture
def saved_topic():
    """The saved-searches topic of this test (and its dead-letter topic)."""
    name = unique_name("saved")
    kafka_topics.ensure_topics(
        [kafka_topics.TopicSpec(name, 1), kafka_topics.TopicSpec(events.dead_letter_topic(name), 1)]
    )
    yield name
    kafka_topics.delete_topics_matching(re.escape(name) + r"(\.dlq)?")


@pytest.fixture
def alerts_factory(settings, topic, saved_topic, saved_index, es, dead_letters):
    """``alerts_factory()``: a started worker on this test's topics, groups and index
    (its consumers closed afterwards without committing, as a crash would leave them)."""
    groups = (unique_name("alerts"), unique_name("alerts-percolator"))
    alert_settings = replace(
        settings,
        listings_topic=topic,
        saved_searches_topic=saved_topic,
        saved_searches_index=saved_index,
        alerts_group=groups[0],
        alerts_percolator_group=groups[1],
        alerts_linger_seconds=0.01,
        alerts_sync_wait_seconds=ENGINE_WAIT_SECONDS,
    )
    consumers = []

    def make() -> AlertsWorker:
        shutdown = ShutdownFlag()
        listings_consumer = kafka_io.create_consumer(
            topic, groups[0], alert_settings, max_poll_records=100
        )
        saved_consumer = kafka_io.create_consumer(
            saved_topic, groups[1], alert_settings, max_poll_records=100
        )
        consumers.extend([listings_consumer, saved_consumer])
        worker = AlertsWorker(
            saved_searches=SavedSearchIndexer(
                consumer=saved_consumer,
                es=es,
                dead_letters=dead_letters,
                settings=alert_settings,
                shutdown=shutdown,
            ),
            listings=ListingMatcher(
                consumer=listings_consumer,
                matcher=percolator.PercolateMatcher(es, saved_index),
                models_api=ModelsApiClient(
                    "http://models.test", "secret", retries=0, backoff_factor=0
                ),
                dead_letters=dead_letters,
                settings=alert_settings,
                shutdown=shutdown,
            ),
            settings=alert_settings,
            shutdown=shutdown,
        )
        worker.start()
        return worker

    yield make
    for consumer in consumers:
        consumer.close(autocommit=False)
    kafka_topics.delete_consumer_groups(list(groups))


def match_answer(emailed: int = 1):
    return {"emailed": emailed, "queued_for_digest": 0}


class AlertsWorkerTest:
    @responses.activate
    def test_listing_matching_two_searches_posts_both_ids_once(
        self, topic, saved_topic, produce, alerts_factory
    ):
        responses.post(MATCHES_URL, json=match_answer(2))
        produce(
            saved_topic,
            [
                saved_event(11, "racing bike"),
                saved_event(12, "", category="bikes", max_price="150"),
                saved_event(13, "lamp"),  # does not match
            ],
        )
        produce(topic, [listing_event_bytes(7)])  # "Red racing bike", bikes, 120.00
        worker = alerts_factory()
        assert run_until_handled(worker, 4) == 4
        assert posted() == [{"listing": 7, "saved_searches": [11, 12]}]
        assert responses.calls[0].request.headers["X-Service-Token"] == "secret"
        assert committed_offset(worker.listings.consumer, topic) == 1
        assert committed_offset(worker.saved_searches.consumer, saved_topic) == 3

    @responses.activate
    def test_search_saved_just_before_the_listing_matches_it(
        self, topic, saved_topic, produce, alerts_factory
    ):
        responses.post(MATCHES_URL, json=match_answer())
        worker = alerts_factory()  # consumers not yet in their groups
        produce(saved_topic, [saved_event(21, "bike")])
        produce(topic, [listing_event_bytes(8)])
        assert run_until_handled(worker, 2) == 2
        assert posted() == [{"listing": 8, "saved_searches": [21]}]

    @responses.activate
    def test_paused_and_deleted_searches_do_not_match(
        self, topic, saved_topic, produce, alerts_factory
    ):
        responses.post(MATCHES_URL, json=match_answer())
        produce(
            saved_topic,
            [
                saved_event(31, "bike"),
                saved_event(32, "bike"),
                saved_event(33, "bike"),
                saved_event(34, "bike", paused=True),
            ],
        )
        produce(topic, [listing_event_bytes(1)])
        worker = alerts_factory()
        assert run_until_handled(worker, 5) == 5
        assert posted() == [{"listing": 1, "saved_searches": [31, 32, 33]}]

        produce(saved_topic, [saved_event(32, "bike", paused=True), deleted_event(33)])
        produce(saved_topic, [deleted_event(99)])  # never indexed: deleting it is fine
        produce(topic, [listing_event_bytes(2)])
        assert run_until_handled(worker, 4) == 4
        assert posted()[1:] == [{"listing": 2, "saved_searches": [31]}]

        produce(saved_topic, [saved_event(34, "bike", paused=False)])  # resumed
        produce(topic, [listing_event_bytes(3)])
        assert run_until_handled(worker, 2) == 2
        assert posted()[2:] == [{"listing": 3, "saved_searches": [31, 34]}]

    @responses.activate
    def test_non_active_listings_and_other_events_ignored(
        self, topic, saved_topic, produce, alerts_factory
    ):
        responses.post(MATCHES_URL, json=match_answer())
        produce(saved_topic, [saved_event(41, "bike")])
        produce(
            topic,
            [
                listing_event_bytes(1, status="reserved"),
                listing_event_bytes(2, 2),  # listing.updated of an active listing
                listing_event_bytes(3, 2, event_type=events.LISTING_DELETED),
                listing_event_bytes(
                    4,
                    title="Lamp",
                    description="Brass.",
                    category={"slug": "home", "name": "Home"},
                ),  # active and new, but not a match
            ],
        )
        worker = alerts_factory()
        assert run_until_handled(worker, 5) == 5
        assert posted() == []
        assert committed_offset(worker.listings.consumer, topic) == 4

    @responses.activate
    def test_poison_dead_lettered_raw_and_the_rest_processed(
        self, topic, saved_topic, produce, alerts_factory
    ):
        responses.post(
            MATCHES_URL,
            match=[matchers.json_params_matcher({"listing": 6, "saved_searches": [51]})],
            status=400,
            json={"error": "validation_failed", "fields": {"listing": ["bad"]}},
        )
        responses.post(MATCHES_URL, json=match_answer())
        bad_price = saved_event(52, "x", min_price="?")
        poison_searches = [b"{not json", listing_event_bytes(1), bad_price]
        produce(saved_topic, [*poison_searches, saved_event(51, "bike")])
        refused = listing_event_bytes(6)
        produce(topic, [b"{not json", refused, listing_event_bytes(7)])
        worker = alerts_factory()
        assert run_until_handled(worker, 7) == 7

        parked = read_messages(events.dead_letter_topic(saved_topic), 3)
        assert [message.value for message in parked] == poison_searches
        # Refused by models-api as malformed: parked. The invalid listing event is the
        # indexer's to park (listings.dlq would hold it twice): skipped here.
        (parked_listing,) = read_messages(events.dead_letter_topic(topic), 1)
        assert parked_listing.value == refused
        assert end_offset(events.dead_letter_topic(topic)) == 1
        assert posted() == [
            {"listing": 6, "saved_searches": [51]},
            {"listing": 7, "saved_searches": [51]},
        ]
        assert committed_offset(worker.listings.consumer, topic) == 3
        assert committed_offset(worker.saved_searches.consumer, saved_topic) == 4

    @responses.activate
    @pytest.mark.parametrize("status", [503, 401, 429])
    def test_models_api_errors_retried_without_commit_then_posted_once_more(
        self, status, topic, saved_topic, produce, alerts_factory
    ):
        worker = None
        commits_while_down: list = []
        failures = {"left": 2}

        def answer(request):  # noqa: ARG001 - responses' callback signature
            if failures["left"]:
                failures["left"] -= 1
                commits_while_down.append(committed_offset(worker.listings.consumer, topic))
                return status, {}, json.dumps({"error": "unavailable"})
            return 200, {"Content-Type": "application/json"}, json.dumps(match_answer())

        responses.add_callback(responses.POST, MATCHES_URL, callback=answer)
        produce(saved_topic, [saved_event(61, "bike")])
        produce(topic, [listing_event_bytes(9)])
        worker = alerts_factory()
        assert run_until_handled(worker, 2) == 2
        assert commits_while_down == [None, None]
        assert posted() == [{"listing": 9, "saved_searches": [61]}] * 3
        assert committed_offset(worker.listings.consumer, topic) == 1
        assert worker.listings.consumer.paused() == set()  # paused while waiting, resumed
        assert end_offset(events.dead_letter_topic(topic)) == 0

    @responses.activate
    def test_restarted_worker_keeps_its_index_and_offsets(
        self, topic, saved_topic, produce, alerts_factory
    ):
        responses.post(MATCHES_URL, json=match_answer())
        produce(saved_topic, [saved_event(71, "camera")])
        produce(topic, [listing_event_bytes(1, title="Vintage camera")])
        first = alerts_factory()
        assert run_until_handled(first, 2) == 2
        first.listings.consumer.close(autocommit=False)
        first.saved_searches.consumer.close(autocommit=False)

        produce(topic, [listing_event_bytes(2, title="Camera bag")])
        again = alerts_factory()  # same groups: resumes after the committed offsets
        assert run_until_handled(again, 1) == 1
        assert posted() == [
            {"listing": 1, "saved_searches": [71]},
            {"listing": 2, "saved_searches": [71]},
        ]


class MatchesClientTest:
    @responses.activate
    def test_ids_sorted_once_each_with_the_service_token(self):
        responses.post(MATCHES_URL, json={"emailed": 2, "queued_for_digest": 1})
        client = ModelsApiClient("http://models.test", "secret")
        assert client.saved_search_matches(7, [3, 1, 3]) == {"emailed": 2, "queued_for_digest": 1}
        assert posted() == [{"listing": 7, "saved_searches": [1, 3]}]
        assert responses.calls[0].request.headers["X-Service-Token"] == "secret"

    @responses.activate
    def test_many_ids_sent_in_parts_and_the_answers_added_up(self, monkeypatch):
        monkeypatch.setattr(models_api, "MATCHES_PER_REQUEST", 2)
        responses.post(MATCHES_URL, json={"emailed": 1, "queued_for_digest": 1})
        client = ModelsApiClient("http://models.test", "secret")
        assert client.saved_search_matches(7, [5, 4, 3, 2, 1]) == {
            "emailed": 3,
            "queued_for_digest": 3,
        }
        assert [body["saved_searches"] for body in posted()] == [[1, 2], [3, 4], [5]]
