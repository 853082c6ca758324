"""Re-index into a new index and swap the alias, against the real search engine
(models-api stubbed with ``responses``; the Kafka replay is covered in test_kafka)."""

import json

import pytest
import responses

from marketplace_batch import search
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.models_api import ModelsApiClient
from marketplace_batch.reindex import ListingEventReplayer, Reindexer
from marketplace_batch.search import ListingWrite
from mpcommon import search_index

from .conftest import listing

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
        statuses = ["active", "sold", "withdrawn"]
        rows = [
            listing(i, 2, title=f"Item {i}", status=statuses[i % 3], view_count=i)
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
        assert doc["_source"]["status"] == statuses[250 % 3]
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
