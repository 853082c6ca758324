"""Against the real search engine at ELASTICSEARCH_URL (unique alias per test)."""

import pytest
from elasticsearch import NotFoundError

from marketplace_batch import search
from marketplace_batch.search import ListingWrite
from mpcommon import search_index

from .conftest import listing

pytestmark = pytest.mark.search


PHOTO = {
    "id": 4,
    "position": 0,
    "width": 1600,
    "height": 1200,
    "url": "/media/" + "a" * 64 + ".jpg",
    "card_url": "/media/" + "c" * 64 + ".webp",
    "detail_url": None,
}


def doc(listing_id, version, **fields):
    return search_index.listing_document(listing(listing_id, version, **fields))


def get(es, alias, listing_id):
    return es.get(index=alias, id=str(listing_id))


class EnsureIndexTest:
    def test_missing_alias_creates_index_with_mapping(self, es, alias):
        created = search.ensure_listings_index(es, alias)
        assert created.startswith(alias + "-v1-")
        assert search.aliased_indices(es, alias) == [created]
        mapping = es.indices.get_mapping(index=created)[created]["mappings"]
        assert mapping["properties"]["title"]["type"] == "text"
        assert mapping["properties"]["views"]["type"] == "long"

    def test_existing_alias_left_alone(self, es, alias):
        first = search.ensure_listings_index(es, alias)
        assert search.ensure_listings_index(es, alias) is None
        assert search.aliased_indices(es, alias) == [first]

    def test_existing_index_without_cover_gets_the_field_then_takes_covers(self, es, alias):
        # An index made before photos existed: the strict mapping without ``cover``.
        old_mapping = {
            **search_index.LISTINGS_MAPPING,
            "properties": {
                k: v for k, v in search_index.LISTINGS_MAPPING["properties"].items() if k != "cover"
            },
        }
        index = f"{alias}-v1-old"
        es.indices.create(index=index, mappings=old_mapping, aliases={alias: {}})
        cover = {**PHOTO, "id": 5}
        refused = search.write_listings(es, [ListingWrite(1, 1, doc(1, 1, photos=[cover]))], alias)
        assert [w.listing_id for w, _ in refused.rejected] == [1]  # strict: unknown field

        assert search.ensure_listings_index(es, alias) is None
        mapping = es.indices.get_mapping(index=index)[index]["mappings"]
        assert mapping["properties"]["cover"] == {"type": "object", "enabled": False}
        assert search.add_missing_fields(es, [index]) == {}  # nothing left to add
        outcome = search.write_listings(es, [ListingWrite(1, 1, doc(1, 1, photos=[cover]))], alias)
        assert [w.listing_id for w in outcome.applied] == [1]
        assert get(es, alias, 1)["_source"]["cover"] == cover


class CoverTest:
    def test_cover_is_stored_not_searchable(self, es, alias):
        search.ensure_listings_index(es, alias)
        second = {**PHOTO, "id": 6, "position": 1, "url": "/media/" + "b" * 64 + ".png"}
        writes = [
            ListingWrite(1, 1, doc(1, 1, photos=[PHOTO, second])),
            ListingWrite(2, 1, doc(2, 1)),  # an event without photos
            ListingWrite(3, 1, doc(3, 1, photos=[])),
        ]
        assert len(search.write_listings(es, writes, alias).applied) == 3
        es.indices.refresh(index=alias)
        assert get(es, alias, 1)["_source"]["cover"] == PHOTO  # the first photo, whole
        assert get(es, alias, 2)["_source"]["cover"] is None
        assert get(es, alias, 3)["_source"]["cover"] is None
        found = es.search(index=alias, query={"term": {"cover.id": PHOTO["id"]}})
        assert found["hits"]["total"]["value"] == 0  # not indexed


class VersionedWritesTest:
    def test_replayed_and_out_of_order_events_are_noops(self, es, alias):
        search.ensure_listings_index(es, alias)
        first = search.write_listings(es, [ListingWrite(1, 2, doc(1, 2, title="v2"))], alias)
        assert len(first.applied) == 1
        replay = search.write_listings(es, [ListingWrite(1, 2, doc(1, 2, title="v2"))], alias)
        older = search.write_listings(es, [ListingWrite(1, 1, doc(1, 1, title="v1"))], alias)
        assert len(replay.stale) == 1 and len(older.stale) == 1
        stored = get(es, alias, 1)
        assert stored["_version"] == 2 and stored["_source"]["title"] == "v2"

    def test_newer_version_replaces_document(self, es, alias):
        search.ensure_listings_index(es, alias)
        search.write_listings(es, [ListingWrite(1, 1, doc(1, 1))], alias)
        search.write_listings(es, [ListingWrite(1, 2, doc(1, 2, price="5.00"))], alias)
        assert get(es, alias, 1)["_source"]["price"] == 5.0

    def test_delete_versioned_and_stale_delete_ignored(self, es, alias):
        search.ensure_listings_index(es, alias)
        search.write_listings(es, [ListingWrite(1, 3, doc(1, 3))], alias)
        stale = search.write_listings(es, [ListingWrite(1, 2, None)], alias)
        assert len(stale.stale) == 1 and get(es, alias, 1)["found"]
        deleted = search.write_listings(es, [ListingWrite(1, 4, None)], alias)
        assert len(deleted.applied) == 1
        with pytest.raises(NotFoundError):
            get(es, alias, 1)
        missing = search.write_listings(es, [ListingWrite(99, 1, None)], alias)
        assert len(missing.applied) == 1

    def test_unmapped_field_rejected_permanently(self, es, alias):
        search.ensure_listings_index(es, alias)
        bad = {**doc(1, 1), "surprise": "field"}  # the mapping is strict
        outcome = search.write_listings(es, [ListingWrite(1, 1, bad)], alias)
        assert len(outcome.rejected) == 1


class ViewCountsTest:
    def test_views_raised_to_absolute_count_keeping_version(self, es, alias):
        search.ensure_listings_index(es, alias)
        search.write_listings(
            es, [ListingWrite(1, 3, doc(1, 3)), ListingWrite(2, 1, doc(2, 1))], alias
        )
        changed = search.sync_view_counts(es, alias, {1: 7, 2: 0, 404: 5})
        assert changed == 1
        stored = get(es, alias, 1)
        assert stored["_source"]["views"] == 7
        assert stored["_version"] == 3  # external version untouched
        # replaying the same counts changes nothing; lower counts never lower views
        assert search.sync_view_counts(es, alias, {1: 7}) == 0
        assert search.sync_view_counts(es, alias, {1: 2}) == 0

    def test_next_listing_event_still_applies_after_views_update(self, es, alias):
        search.ensure_listings_index(es, alias)
        search.write_listings(es, [ListingWrite(1, 1, doc(1, 1))], alias)
        search.sync_view_counts(es, alias, {1: 4})
        outcome = search.write_listings(
            es, [ListingWrite(1, 2, doc(1, 2, title="Renamed", view_count=4))], alias
        )
        assert len(outcome.applied) == 1
        assert get(es, alias, 1)["_source"]["title"] == "Renamed"


class SwapAliasTest:
    def test_swap_moves_alias_atomically_and_reports_old(self, es, alias):
        old = search.ensure_listings_index(es, alias)
        new = search.concrete_index_name(alias)
        search.create_listings_index(es, new)
        assert search.swap_alias(es, alias, new) == [old]
        assert search.aliased_indices(es, alias) == [new]
