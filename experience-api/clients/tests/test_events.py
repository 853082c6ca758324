"""The page-view publisher on the real broker (a topic of its own per test, read back by
a consumer), and with the broker down (a closed port) or stuck (sends held on a gate)."""

import threading

import pytest

from clients import events
from clients.events import EventPublisher, kafka_producer_factory
from conftest import ENGINE_WAIT_SECONDS, GATE_SECONDS, unique_name
from mpcommon.events import TOPIC_PAGE_VIEWS, decode
from testsupport import wait_until
from testsupport.kafka import read_messages


@pytest.fixture(autouse=True)
def patient_producer(settings):
    """Production gives a send 200 ms of metadata wait; a loaded test machine may need
    more for a topic created a moment ago (the tests of a down broker set their own)."""
    settings.KAFKA_MAX_BLOCK_MS = 15000


@pytest.fixture
def publisher():
    made: list[EventPublisher] = []

    def make(factory=kafka_producer_factory, **kwargs) -> EventPublisher:
        made.append(EventPublisher(factory, **kwargs))
        return made[-1]

    yield make
    for each in made:
        each.close(timeout=5)


def counted(publisher: EventPublisher, outcome: str, expected: int = 1) -> dict:
    """Wait until ``outcome`` was counted ``expected`` times (acks arrive on the producer's
    own thread, a moment after the send); the stats then."""
    return wait_until(
        lambda: publisher.stats()[outcome] >= expected and publisher.stats(),
        ENGINE_WAIT_SECONDS,
        interval=0.05,
        message=f"{expected} {outcome}",
    )


class StuckProducer:
    """The real producer behind a gate: every send waits until the test opens the gate
    (a broker that does not answer)."""

    def __init__(self):
        self.gate = threading.Event()
        self.sends = 0
        self._producer = kafka_producer_factory()

    def send(self, topic, key, value):
        assert self.gate.wait(GATE_SECONDS), "the test never opened the gate"
        self.sends += 1
        return self._producer.send(topic, key=key, value=value)

    def flush(self, timeout=None):
        self._producer.flush(timeout=timeout)

    def close(self, timeout=None):
        self._producer.close(timeout=timeout)


class EventPublisherTest:
    def test_published_message_reaches_the_topic_and_is_counted(self, publisher, make_topic):
        topic = make_topic()
        sender = publisher()
        assert sender.publish(topic, b"5", b"{}") is True
        assert sender.drain(GATE_SECONDS)
        assert counted(sender, "published")["failed"] == 0
        (message,) = read_messages(topic, 1)
        assert (message.key, message.value) == (b"5", b"{}")

    def test_publish_does_not_wait_for_a_stuck_producer(self, publisher, make_topic):
        topic = make_topic()
        producer = StuckProducer()
        sender = publisher(lambda: producer)
        # Every publish returns while the producer cannot send anything.
        assert [sender.publish(topic, b"1", b"{}") for _ in range(5)] == [True] * 5
        assert producer.sends == 0
        producer.gate.set()
        assert sender.drain(GATE_SECONDS)
        counted(sender, "published", 5)
        assert len(read_messages(topic, 5)) == 5

    def test_delivery_refused_by_the_broker_is_counted(self, publisher, make_topic):
        topic = make_topic(**{"max.message.bytes": "1024"})
        sender = publisher()
        assert sender.publish(topic, b"1", b"x" * 4096) is True  # queued; the broker refuses
        stats = counted(sender, "failed")
        assert stats["published"] == 0
        assert "MessageSizeTooLarge" in stats["last_error"]

    def test_send_to_a_topic_that_does_not_exist_is_counted(self, publisher, settings):
        settings.KAFKA_MAX_BLOCK_MS = 200  # production's wait for the topic's metadata
        sender = publisher()
        # The broker never auto-creates topics: the metadata wait runs out.
        assert sender.publish(unique_name("missing"), b"1", b"{}") is True
        stats = counted(sender, "failed")
        assert "send failed" in stats["last_error"]

    def test_full_queue_drops_and_counts(self, publisher, make_topic):
        topic = make_topic()
        producer = StuckProducer()
        sender = publisher(lambda: producer, queue_size=1)
        # The sender holds at most one message (stuck in send), the queue one more.
        results = [sender.publish(topic, b"1", b"{}") for _ in range(5)]
        assert results.count(False) >= 3
        assert sender.stats()["dropped"] == results.count(False)
        producer.gate.set()
        assert sender.drain(GATE_SECONDS)
        counted(sender, "published", results.count(True))


class PublishPageViewTest:
    @pytest.fixture
    def page_views_topic(self, make_topic, settings, publisher, monkeypatch):
        """The service publishes page views to a topic of this test's own."""
        settings.KAFKA_PAGE_VIEWS_TOPIC = make_topic()
        monkeypatch.setattr(events, "_publisher", publisher())
        return settings.KAFKA_PAGE_VIEWS_TOPIC

    def test_event_is_keyed_by_listing_and_valid(self, page_views_topic):
        assert events.publish_page_view(42, 7) is True
        (message,) = read_messages(page_views_topic, 1)
        assert message.key == b"42"
        event = decode(TOPIC_PAGE_VIEWS, message.value)  # the page-view schema
        assert (event["listing_id"], event["user_id"]) == (42, 7)

    def test_anonymous_view_has_null_user(self, page_views_topic):
        events.publish_page_view(42, None)
        (message,) = read_messages(page_views_topic, 1)
        assert decode(TOPIC_PAGE_VIEWS, message.value)["user_id"] is None


class RealProducerUnreachableKafkaTest:
    """``kafka_unreachable``: the producer bootstraps from a closed port."""

    def test_publish_never_waits_for_the_producer_and_failure_is_counted(
        self, publisher, kafka_unreachable
    ):
        building, gate = threading.Event(), threading.Event()

        def held_factory():
            building.set()
            assert gate.wait(GATE_SECONDS), "the test never opened the gate"
            return kafka_producer_factory()

        sender = publisher(held_factory)
        # Returns while the real producer is not even built yet (held on the sender thread).
        assert sender.publish(TOPIC_PAGE_VIEWS, b"1", b"{}") is True
        assert building.wait(GATE_SECONDS)
        gate.set()
        stats = counted(sender, "failed")
        assert stats["published"] == 0
        assert "cannot create Kafka producer" in stats["last_error"]
