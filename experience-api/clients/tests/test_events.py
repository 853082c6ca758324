import json
import time

from clients import events
from clients.events import EventPublisher, kafka_producer_factory
from mpcommon.events import TOPIC_PAGE_VIEWS, decode


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


class EventPublisherTest:
    def test_published_message_reaches_producer_and_is_counted(self):
        producer = FakeProducer()
        publisher = EventPublisher(lambda: producer)
        assert publisher.publish("page-views", b"5", b"{}") is True
        assert publisher.drain(2.0)
        assert producer.sent == [("page-views", b"5", b"{}")]
        assert publisher.stats()["published"] == 1

    def test_publish_does_not_wait_for_a_slow_producer(self):
        publisher = EventPublisher(lambda: FakeProducer(block=0.3))
        started = time.perf_counter()
        for _ in range(5):
            publisher.publish("page-views", b"1", b"{}")
        assert time.perf_counter() - started < 0.05
        publisher.drain(3.0)

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
        publisher = EventPublisher(lambda: FakeProducer(block=0.2), queue_size=1)
        results = [publisher.publish("page-views", b"1", b"{}") for _ in range(5)]
        assert results.count(False) >= 3
        assert publisher.stats()["dropped"] == results.count(False)
        publisher.drain(3.0)


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

    def test_publish_stays_fast_and_failure_is_counted(self):
        publisher = EventPublisher(kafka_producer_factory)
        started = time.perf_counter()
        assert publisher.publish(TOPIC_PAGE_VIEWS, b"1", b"{}") is True
        assert time.perf_counter() - started < 0.01
        deadline = time.monotonic() + 5
        while publisher.stats()["failed"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        publisher.close(timeout=0.5)
        assert publisher.stats()["failed"] == 1
        assert publisher.stats()["published"] == 0
