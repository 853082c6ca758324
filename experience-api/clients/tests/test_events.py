import json
import threading
import time

from clients import events
from clients.events import EventPublisher, kafka_producer_factory
from conftest import GATE_SECONDS
from mpcommon.events import TOPIC_PAGE_VIEWS, decode
from testsupport import wait_until


class FakeFuture:
    def __init__(self, ok=True):
        self.ok = ok

    def add_callback(self, callback):
        if self.ok:
            callback(None)
        return self

    def add_errback(self, errback):
        if not self.ok:
            errback(RuntimeError("broker said no"))
        return self


class FakeProducer:
    def __init__(self, ok=True, block=0.0):
        self.sent = []
        self.ok = ok
        self.block = block

    def send(self, topic, key, value):
        time.sleep(self.block)
        self.sent.append((topic, key, value))
        return FakeFuture(self.ok)

    def flush(self, timeout=None):
        pass


class GatedProducer(FakeProducer):
    """A broker that is stuck until the test opens ``gate``: every send blocks on it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gate = threading.Event()

    def send(self, topic, key, value):
        assert self.gate.wait(GATE_SECONDS), "the test never opened the gate"
        return super().send(topic, key, value)


class EventPublisherTest:
    def test_published_message_reaches_producer_and_is_counted(self):
        producer = FakeProducer()
        publisher = EventPublisher(lambda: producer)
        assert publisher.publish("page-views", b"5", b"{}") is True
        assert publisher.drain(2.0)
        assert producer.sent == [("page-views", b"5", b"{}")]
        assert publisher.stats()["published"] == 1

    def test_publish_does_not_wait_for_a_stuck_producer(self):
        producer = GatedProducer()
        publisher = EventPublisher(lambda: producer)
        # Every publish returns while the producer cannot send anything.
        assert [publisher.publish("page-views", b"1", b"{}") for _ in range(5)] == [True] * 5
        assert producer.sent == []
        producer.gate.set()
        assert publisher.drain(GATE_SECONDS)
        assert len(producer.sent) == 5

    def test_producer_that_cannot_be_created_counts_failures_and_never_raises(self):
        def broken():
            raise RuntimeError("NoBrokersAvailable")

        publisher = EventPublisher(broken)
        assert publisher.publish("page-views", b"1", b"{}") is True
        publisher.drain(2.0)
        stats = publisher.stats()
        assert stats["failed"] == 1
        assert "NoBrokersAvailable" in stats["last_error"]

    def test_delivery_failure_is_counted(self):
        publisher = EventPublisher(lambda: FakeProducer(ok=False))
        publisher.publish("page-views", b"1", b"{}")
        publisher.drain(2.0)
        assert publisher.stats()["failed"] == 1

    def test_full_queue_drops_and_counts(self):
        producer = GatedProducer()
        publisher = EventPublisher(lambda: producer, queue_size=1)
        # The sender holds at most one message (stuck in send), the queue one more.
        results = [publisher.publish("page-views", b"1", b"{}") for _ in range(5)]
        assert results.count(False) >= 3
        assert publisher.stats()["dropped"] == results.count(False)
        producer.gate.set()
        assert publisher.drain(GATE_SECONDS)


class PublishPageViewTest:
    def test_event_is_keyed_by_listing_and_valid(self, monkeypatch):
        producer = FakeProducer()
        publisher = EventPublisher(lambda: producer)
        monkeypatch.setattr(events, "_publisher", publisher)
        assert events.publish_page_view(42, 7) is True
        publisher.drain(2.0)
        ((topic, key, value),) = producer.sent
        assert (topic, key) == (TOPIC_PAGE_VIEWS, b"42")
        event = decode(TOPIC_PAGE_VIEWS, value)
        assert (event["listing_id"], event["user_id"]) == (42, 7)

    def test_anonymous_view_has_null_user(self, monkeypatch):
        producer = FakeProducer()
        publisher = EventPublisher(lambda: producer)
        monkeypatch.setattr(events, "_publisher", publisher)
        events.publish_page_view(42, None)
        publisher.drain(2.0)
        assert json.loads(producer.sent[0][2])["user_id"] is None


class RealProducerUnreachableKafkaTest:
    """KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1 (test settings): nothing listens there."""

    def test_publish_never_waits_for_the_producer_and_failure_is_counted(self):
        building, gate = threading.Event(), threading.Event()

        def held_factory():
            building.set()
            assert gate.wait(GATE_SECONDS), "the test never opened the gate"
            return kafka_producer_factory()

        publisher = EventPublisher(held_factory)
        # Returns while the real producer is not even built yet (held on the sender thread).
        assert publisher.publish(TOPIC_PAGE_VIEWS, b"1", b"{}") is True
        assert building.wait(GATE_SECONDS)
        gate.set()
        wait_until(lambda: publisher.stats()["failed"], 60, interval=0.05, message="a failure")
        publisher.close(timeout=0.5)
        assert publisher.stats()["failed"] == 1
        assert publisher.stats()["published"] == 0
