"""Re-index into a new index and swap the alias, against the real search engine
(models-api stubbed with ``responses``); the zero-downtime swap with searches running
and changes arriving through the real broker meanwhile."""

import json
import threading
from dataclasses import replace

import pytest
import responses

from marketplace_batch import search
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.models_api import ModelsApiClient
from marketplace_batch.reindex import ListingEventReplayer, Reindexer
from marketplace_batch.search import ListingWrite
from mpcommon import listing_rules, search_index
from testsupport import wait_until

from .conftest import ENGINE_WAIT_SECONDS, listing, listing_event_bytes

pytestmark = pytest.mark.search

LISTINGS_URL = "http://models.test/api/v1/listings"


def stub_pages(all_listings, page_size=100):
    def reply(request):
        assert request.params["ordering"] == "oldest"
        assert request.params["page_size"] == "100"
        assert "status" not in request.params  # every status
        page = int(request.params["page"])
        chunk = all_listings[(page - 1) * page_size : page * page_size]
        has_next = page * page_size < len(all_listings)
        body = {"count": len(all_listings), "results": chunk, "next": "more" if has_next else None}
        return 200, {}, json.dumps(body)

    responses.add_callback(responses.GET, LISTINGS_URL, callback=reply)


def reindexer(es, settings, alias):
    return Reindexer(
        es=es,
        models_api=ModelsApiClient("http://models.test", "token"),
        replayer=ListingEventReplayer("listings", None),
        settings=settings,
        shutdown=ShutdownFlag(),
        alias=alias,
    )


class ReindexTest:
    @responses.activate
    def test_reindex_builds_new_index_swaps_alias_deletes_old(self, es, alias, settings):
        old = search.ensure_listings_index(es, alias)
        stale = search_index.listing_document(listing(999, 1, title="Deleted meanwhile"))
        search.write_listings(es, [ListingWrite(999, 1, stale)], alias)
        statuses = list(listing_rules.STATUS_VALUES)  # active, reserved, sold, withdrawn
        cover = {
            "id": 1,
            "position": 0,
            "width": 640,
            "height": 480,
            "url": "/media/" + "a" * 64 + ".jpg",
            "card_url": "/media/" + "c" * 64 + ".webp",
            "detail_url": "/media/" + "d" * 64 + ".webp",
        }
        rows = [
            listing(
                i,
                2,
                title=f"Item {i}",
                status=statuses[i % len(statuses)],
                view_count=i,
                **({"photos": [cover, {**cover, "id": 2, "position": 1}]} if i % 2 else {}),
            )
            for i in range(1, 251)
        ]
        stub_pages(rows)

        new = reindexer(es, settings, alias).run()

        assert new != old
        assert search.aliased_indices(es, alias) == [new]
        assert not es.indices.exists(index=old)
        assert es.count(index=alias)["count"] == 250  # searchable at once: refreshed before swap
        doc = es.get(index=alias, id="250")
        assert doc["_version"] == 2 and doc["_source"]["views"] == 250
        assert doc["_source"]["status"] == statuses[250 % len(statuses)]
        assert doc["_source"]["cover"] is None  # no photos
        assert es.get(index=alias, id="249")["_source"]["cover"] == cover  # the first
        for status in statuses:  # every status is copied; the API filters on active
            assert es.count(index=alias, query={"term": {"status": status}})["count"] > 0
        assert not es.exists(index=alias, id="999")
        assert len(responses.calls) == 3

    @responses.activate
    def test_reindex_failure_keeps_old_index_serving(self, es, alias, settings):
        old = search.ensure_listings_index(es, alias)
        responses.get(LISTINGS_URL, status=400, json={"error": "validation_failed"})
        with pytest.raises(Exception, match="400"):
            reindexer(es, settings, alias).run()
        assert search.aliased_indices(es, alias) == [old]
        assert list(es.indices.get(index=f"{alias}*")) == [old]

    @responses.activate
    def test_reindex_replaces_concrete_index_squatting_alias_name(self, es, alias, settings):
        es.indices.create(index=alias)  # e.g. auto-created by a write before any alias
        stub_pages([listing(1, 1)])
        new = reindexer(es, settings, alias).run()
        assert search.aliased_indices(es, alias) == [new]


class Searches:
    """A thread searching the alias the whole time, as the site would: every answer's
    total and the concrete index that served it, and every error."""

    def __init__(self, es, alias: str):
        self.es, self.alias = es, alias
        self.totals: list[int] = []
        self.indices: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                answer = self.es.search(
                    index=self.alias, query={"match": {"title": "lamp"}}, size=1
                )
            except Exception as exc:  # noqa: BLE001 - every failure is a finding here
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            self.totals.append(answer["hits"]["total"]["value"])
            self.indices.extend(hit["_index"] for hit in answer["hits"]["hits"])
            if answer["_shards"]["failed"]:
                self.errors.append(f"shard failures: {answer['_shards']}")

    def done(self) -> int:
        return len(self.totals) + len(self.errors)

    def wait_for_more(self, count: int) -> None:
        target = self.done() + count
        wait_until(lambda: self.done() >= target, ENGINE_WAIT_SECONDS, interval=0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(ENGINE_WAIT_SECONDS)


class ZeroDowntimeReindexTest:
    @responses.activate
    def test_searches_during_the_alias_swap_never_fail_nor_come_back_empty(
        self, es, alias, settings, topic, produce, monkeypatch
    ):
        # The live index: 120 lamps at version 1.
        old = search.ensure_listings_index(es, alias)
        live = [
            ListingWrite(i, 1, search_index.listing_document(listing(i, 1, title=f"Lamp {i}")))
            for i in range(1, 121)
        ]
        search.write_listings(es, live, alias)
        es.indices.refresh(index=alias)
        # models-api has them at version 2; while the re-index reads its first page, the
        # seller renames lamp 7 (version 3): an event that only the replay carries over.
        renamed = listing_event_bytes(7, 3, title="Lamp seven, renamed")
        rows = [listing(i, 2, title=f"Lamp {i}") for i in range(1, 121)]
        first_page = threading.Event()

        def reply(request):
            page = int(request.params["page"])
            if not first_page.is_set():
                first_page.set()
                produce(topic, [renamed])
            chunk = rows[(page - 1) * 100 : page * 100]
            body = {"count": len(rows), "results": chunk, "next": "more" if page == 1 else None}
            return 200, {}, json.dumps(body)

        responses.add_callback(responses.GET, LISTINGS_URL, callback=reply)

        real_swap = search.swap_alias
        with Searches(es, alias) as searches:

            def swap_while_searched(es_, alias_, new_index):
                searches.wait_for_more(20)  # searched before the swap...
                swapped = real_swap(es_, alias_, new_index)
                searches.wait_for_more(20)  # ...and after it
                return swapped

            monkeypatch.setattr(search, "swap_alias", swap_while_searched)
            replayer = ListingEventReplayer.connect(topic)
            try:
                new = Reindexer(
                    es=es,
                    models_api=ModelsApiClient("http://models.test", "token"),
                    replayer=replayer,
                    settings=replace(settings, listings_topic=topic),
                    shutdown=ShutdownFlag(),
                    alias=alias,
                ).run()
            finally:
                replayer.close()
            searches.wait_for_more(20)  # after the old index is gone

        assert searches.errors == []
        assert set(searches.totals) == {120}  # never empty, never partial
        assert {old, new} <= set(searches.indices)  # both served while the searches ran
        assert search.aliased_indices(es, alias) == [new]
        assert not es.indices.exists(index=old)
        lamp = es.get(index=alias, id="7")
        assert (lamp["_version"], lamp["_source"]["title"]) == (3, "Lamp seven, renamed")
        assert es.get(index=alias, id="8")["_version"] == 2
