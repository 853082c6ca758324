"""Against the real broker (each test creates its own topics) and the real search engine."""

import time
import uuid
from dataclasses import replace

import pytest
from kafka import KafkaConsumer

from marketplace_batch import kafka_io, search
from marketplace_batch.indexer import ListingIndexer
from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.reindex import ListingEventReplayer
from mpcommon import events, kafka_topics
from mpcommon.kafka_config import client_kwargs

from .conftest import listing_event_bytes

pytestmark = [pytest.mark.kafka, pytest.mark.search]

RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module", autouse=True)
def _delete_topics_afterwards():
    yield
    kafka_topics.delete_topics_matching(f"test-listings-{RUN}-.*")  # and their .dlq


@pytest.fixture
def topic():
    """A fresh topic and its dead-letter topic (the broker does not auto-create)."""
    name = f"test-listings-{RUN}-{uuid.uuid4().hex[:8]}"
    kafka_topics.ensure_topics(
        [kafka_topics.TopicSpec(name, 1), kafka_topics.TopicSpec(events.dead_letter_topic(name), 1)]
    )
    return name


@pytest.fixture
def producer():
    producer = kafka_io.create_producer()
    yield producer
    producer.close(timeout=5)


def produce(producer, topic, values):
    for value in values:
        producer.send(topic, key=b"1", value=value)
    producer.flush(timeout=15)


def read_all(topic, expected, timeout=15):
    consumer = KafkaConsumer(topic, group_id=None, auto_offset_reset="earliest", **client_kwargs())
    messages = []
    deadline = time.monotonic() + timeout
    while len(messages) < expected and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
    consumer.close()
    return messages


class IndexerKafkaTest:
    def test_poll_loop_indexes_commits_and_dead_letters_poison(
        self, es, alias, producer, settings, topic
    ):
        settings = replace(settings, listings_topic=topic)
        produce(
            producer,
            topic,
            [
                listing_event_bytes(1, 1),
                b"{oops",
                listing_event_bytes(2, 1),
                listing_event_bytes(1, 2, title="Blue bike"),
            ],
        )
        group = f"test-indexer-{uuid.uuid4().hex[:8]}"
        consumer = kafka_io.create_consumer(topic, group, settings, max_poll_records=100)
        dead_letters = kafka_io.DeadLetterPublisher(producer)
        indexer = ListingIndexer(
            consumer=consumer,
            es=es,
            dead_letters=dead_letters,
            settings=settings,
            shutdown=ShutdownFlag(),
            alias=alias,
        )
        try:
            indexer.ensure_index()
            handled = 0
            deadline = time.monotonic() + 20
            while handled < 4 and time.monotonic() < deadline:
                handled += indexer.run_once(idle_timeout_seconds=1)
            assert handled == 4
            committed = {tp.partition: consumer.committed(tp) for tp in consumer.assignment()}
        finally:
            consumer.close(autocommit=False)

        assert sum(offset or 0 for offset in committed.values()) == 4  # all keyed alike
        assert es.get(index=alias, id="1")["_source"]["title"] == "Blue bike"
        assert es.get(index=alias, id="2")["_version"] == 1
        (parked,) = read_all(events.dead_letter_topic(topic), expected=1)
        assert (parked.key, parked.value) == (b"1", b"{oops")  # the raw message


class ReplayKafkaTest:
    def test_replayer_reads_exactly_the_requested_range(self, producer, topic):
        produce(producer, topic, [listing_event_bytes(i, 1) for i in range(1, 6)])
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
        self, es, alias, producer, settings, topic
    ):
        from marketplace_batch.reindex import Reindexer

        search.ensure_listings_index(es, alias)
        produce(producer, topic, [listing_event_bytes(1, 1)])
        replayer = ListingEventReplayer.connect(topic)
        try:
            snapshot = replayer.end_offsets()
            delete = listing_event_bytes(1, 2, event_type=events.LISTING_DELETED)
            produce(producer, topic, [listing_event_bytes(3, 1), delete])
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
