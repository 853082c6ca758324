"""Against the real broker (each test creates its own topics) and the real search engine."""

from dataclasses import replace

import pytest

from marketplace_batch import search
from marketplace_batch.indexer import ListingIndexer
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.reindex import ListingEventReplayer
from mpcommon import events
from testsupport.kafka import read_messages

from .conftest import committed_offset, listing_event_bytes, run_until_handled

pytestmark = [pytest.mark.kafka, pytest.mark.search]


class IndexerKafkaTest:
    def test_poll_loop_indexes_commits_and_dead_letters_poison(
        self, es, alias, produce, dead_letters, group_consumer, settings, topic
    ):
        settings = replace(settings, listings_topic=topic)
        produce(
            topic,
            [
                listing_event_bytes(1, 1),
                b"{oops",
                listing_event_bytes(2, 1),
                listing_event_bytes(1, 2, title="Blue bike"),
            ],
        )
        consumer = group_consumer(topic, max_poll_records=100)
        indexer = ListingIndexer(
            consumer=consumer,
            es=es,
            dead_letters=dead_letters,
            settings=settings,
            shutdown=ShutdownFlag(),
            alias=alias,
        )
        indexer.ensure_index()
        assert run_until_handled(indexer, 4) == 4
        assert committed_offset(consumer, topic) == 4  # all keyed alike: one partition
        assert es.get(index=alias, id="1")["_source"]["title"] == "Blue bike"
        assert es.get(index=alias, id="2")["_version"] == 1
        (parked,) = read_messages(events.dead_letter_topic(topic), 1)
        assert (parked.key, parked.value) == (b"1", b"{oops")  # the raw message


class ReplayKafkaTest:
    def test_replayer_reads_exactly_the_requested_range(self, produce, topic):
        produce(topic, [listing_event_bytes(i, 1) for i in range(1, 6)])
        replayer = ListingEventReplayer.connect(topic)
        try:
            end = replayer.end_offsets()
            (tp,) = [tp for tp, offset in end.items() if offset]  # one key, one partition
            assert end[tp] == 5
            batches = list(replayer.replay({tp: 2}, end))
        finally:
            replayer.close()
        assert [r.offset for batch in batches for r in batch] == [2, 3, 4]

    def test_replay_into_index_applies_events_after_snapshot(
        self, es, alias, produce, settings, topic
    ):
        from marketplace_batch.reindex import Reindexer

        search.ensure_listings_index(es, alias)
        produce(topic, [listing_event_bytes(1, 1)])
        replayer = ListingEventReplayer.connect(topic)
        try:
            snapshot = replayer.end_offsets()
            delete = listing_event_bytes(1, 2, event_type=events.LISTING_DELETED)
            produce(topic, [listing_event_bytes(3, 1), delete])
            reindexer = Reindexer(
                es=es,
                models_api=None,
                replayer=replayer,
                settings=replace(settings, listings_topic=topic),
                shutdown=ShutdownFlag(),
                alias=alias,
            )
            search.write_listings(es, [search.ListingWrite(1, 1, {"id": 1, "views": 0})], alias)
            assert reindexer.replay_events(alias, snapshot, replayer.end_offsets()) == 2
        finally:
            replayer.close()
        assert not es.exists(index=alias, id="1")
        assert es.exists(index=alias, id="3")
