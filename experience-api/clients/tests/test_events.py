"""The page-view publisher on the real broker (a topic of its own per test, read back by
a consumer); with the broker down or stuck (a door in front of it: refusing, holding
connections without an answer, or forwarding them); with a producer that cannot be made;
and across a fork."""

import contextlib
import json
import logging
import os
import select
import socket
import threading

import pytest
from confluent_kafka import KafkaException
from kafka.partitioner.default import murmur2

from clients import events
from clients.events import EventPublisher, kafka_producer_factory
from conftest import ENGINE_WAIT_SECONDS, GATE_SECONDS, unique_name
from mpcommon import kafka_config
from mpcommon.events import TOPIC_PAGE_VIEWS, decode
from testsupport import wait_until
from testsupport.kafka import read_messages


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
    """Wait until ``outcome`` was counted ``expected`` times (delivery reports arrive on
    the publisher's thread, a moment after the send); the stats then."""
    return wait_until(
        lambda: publisher.stats()[outcome] >= expected and publisher.stats(),
        ENGINE_WAIT_SECONDS,
        interval=0.05,
        message=f"{expected} {outcome}",
    )


def quick_timeout_factory(**overrides):
    """The real producer, giving up on an event after 1 s instead of production's 10 s."""
    return lambda: kafka_producer_factory(**{"message.timeout.ms": 1000, **overrides})


class BrokerDoor:
    """A TCP door in front of the real broker, where the producer bootstraps: ``closed``
    (connections refused: Kafka down), ``holding`` (accepted, never answered: a stuck
    broker) or ``open`` (forwarded to the broker; librdkafka then learns the broker's own
    address from it and connects there directly)."""

    def __init__(self):
        host, _, port = kafka_config.bootstrap_servers()[0].rpartition(":")
        self._upstream = (host, int(port))
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))  # bound, not listening: refuses connections
        self.address = f"127.0.0.1:{self._server.getsockname()[1]}"
        self._open = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = [self._server]

    def producer_factory(self, **overrides):
        """The real producer, bootstrapping through this door."""
        return lambda: kafka_producer_factory(**{"bootstrap.servers": self.address, **overrides})

    def hold(self) -> None:
        self._server.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def open(self) -> None:
        self._open.set()

    def shut(self) -> None:
        self._closed.set()
        for each in self._sockets:
            with contextlib.suppress(OSError):
                each.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self._sockets.append(client)
            threading.Thread(target=self._forward, args=(client,), daemon=True).start()

    def _forward(self, client: socket.socket) -> None:
        while not self._open.wait(0.1):
            if self._closed.is_set():
                return
        upstream = socket.create_connection(self._upstream, timeout=GATE_SECONDS)
        self._sockets.append(upstream)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for each in (source, target):
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def broker_door():
    """A closed ``BrokerDoor``; ``broker_door.producer_factory()`` bootstraps through it."""
    door = BrokerDoor()
    yield door
    door.shut()


class EventPublisherTest:
    def test_published_message_reaches_the_topic_and_is_counted(self, publisher, make_topic):
        topic = make_topic()
        sender = publisher()
        assert sender.publish(topic, b"5", b"{}") is True
        assert sender.drain(GATE_SECONDS)
        stats = counted(sender, "published")
        assert (stats["failed"], stats["dropped"], stats["queued"]) == (0, 0, 0)
        (message,) = read_messages(topic, 1)
        assert (message.key, message.value) == (b"5", b"{}")

    def test_a_key_goes_to_the_partition_kafka_python_chose(self, publisher, make_topic):
        # The consumers of page views ran against kafka-python's producer: murmur2 of the
        # key bytes, as the Java client (librdkafka's murmur2_random; its default is CRC32).
        topic = make_topic(partitions=6)
        sender = publisher()
        keys = [str(listing_id).encode() for listing_id in range(1, 41)]
        assert all(sender.publish(topic, key, b"{}") for key in keys)
        assert sender.drain(GATE_SECONDS)
        messages = read_messages(topic, len(keys))
        assert {(m.key, m.partition) for m in messages} == {
            (key, (murmur2(key) & 0x7FFFFFFF) % 6) for key in keys
        }

    def test_publish_does_not_wait_for_a_stuck_broker(self, publisher, make_topic, broker_door):
        topic = make_topic()
        broker_door.hold()
        sender = publisher(broker_door.producer_factory())
        # Every publish returns while the broker answers nothing; librdkafka holds them.
        assert [sender.publish(topic, b"1", b"{}") for _ in range(5)] == [True] * 5
        assert sender.stats()["queued"] == 5
        broker_door.open()
        assert sender.drain(GATE_SECONDS)
        assert counted(sender, "published", 5)["queued"] == 0
        assert len(read_messages(topic, 5)) == 5

    def test_kafka_down_at_start_then_back_delivers(self, publisher, make_topic, broker_door):
        topic = make_topic()
        refused = threading.Event()
        sender = publisher(broker_door.producer_factory(error_cb=lambda _error: refused.set()))
        assert sender.publish(topic, b"1", b"{}") is True
        assert refused.wait(GATE_SECONDS), "the producer never found Kafka down"
        broker_door.hold()
        broker_door.open()  # back within message.timeout.ms: nothing lost
        assert sender.drain(GATE_SECONDS)
        assert counted(sender, "published")["failed"] == 0
        assert len(read_messages(topic, 1)) == 1

    def test_kafka_down_longer_than_the_message_timeout_is_counted(
        self, publisher, make_topic, broker_door
    ):
        sender = publisher(broker_door.producer_factory(**{"message.timeout.ms": 1000}))
        assert sender.publish(make_topic(), b"1", b"{}") is True
        stats = counted(sender, "failed")
        assert (stats["published"], stats["queued"]) == (0, 0)
        assert "_MSG_TIMED_OUT" in stats["last_error"]

    def test_delivery_refused_by_the_broker_is_counted(self, publisher, make_topic):
        topic = make_topic(**{"max.message.bytes": "1024"})
        sender = publisher()
        assert sender.publish(topic, b"1", b"x" * 4096) is True  # queued; the broker refuses
        stats = counted(sender, "failed")
        assert stats["published"] == 0
        assert "MSG_SIZE_TOO_LARGE" in stats["last_error"]

    def test_send_to_a_topic_that_does_not_exist_is_counted(self, publisher):
        sender = publisher(quick_timeout_factory())
        # The broker never auto-creates topics: the event times out waiting for one.
        assert sender.publish(unique_name("missing"), b"1", b"{}") is True
        assert "delivery failed" in counted(sender, "failed")["last_error"]

    def test_full_queue_drops_and_counts(self, publisher, make_topic, broker_door):
        topic = make_topic()
        broker_door.hold()
        sender = publisher(broker_door.producer_factory(), queue_size=3)
        results = [sender.publish(topic, b"1", b"{}") for _ in range(5)]
        assert results == [True, True, True, False, False]
        assert sender.stats()["dropped"] == 2
        broker_door.open()
        assert sender.drain(GATE_SECONDS)
        assert counted(sender, "published", 3)["dropped"] == 2

    def test_librdkafka_queue_full_drops_and_counts(self, publisher, make_topic, broker_door):
        topic = make_topic()
        broker_door.hold()
        factory = broker_door.producer_factory(**{"queue.buffering.max.messages": 2})
        sender = publisher(factory, queue_size=100)
        assert sender.publish(topic, b"1", b"{}") is True  # makes the producer
        wait_until(lambda: sender._producer is not None, GATE_SECONDS, interval=0.01)
        assert [sender.publish(topic, b"1", b"{}") for _ in range(2)] == [True, False]
        assert sender.stats()["dropped"] == 1
        broker_door.open()
        assert sender.drain(GATE_SECONDS)
        counted(sender, "published", 2)

    def test_drain_and_close_flush_what_is_queued(self, publisher, make_topic):
        topic = make_topic()
        sender = publisher()
        assert all(sender.publish(topic, b"1", b"{}") for _ in range(3))
        sender.close(timeout=GATE_SECONDS)  # no drain before: close flushes
        assert sender.stats() == {
            "published": 3,
            "failed": 0,
            "dropped": 0,
            "queued": 0,
            "last_error": "",
        }
        assert len(read_messages(topic, 3)) == 3

    def test_close_counts_what_it_could_not_deliver_as_failed(
        self, publisher, make_topic, broker_door
    ):
        broker_door.hold()
        sender = publisher(broker_door.producer_factory())
        assert all(sender.publish(make_topic(), b"1", b"{}") for _ in range(2))
        assert sender.drain(0.2) is False
        sender.close(timeout=0.2)
        stats = sender.stats()
        assert (stats["published"], stats["failed"], stats["queued"]) == (0, 2, 0)
        assert "_PURGE_QUEUE" in stats["last_error"]

    def test_publish_after_close_makes_a_new_producer(self, publisher, make_topic):
        topic = make_topic()
        sender = publisher()
        assert sender.publish(topic, b"1", b"{}") is True
        sender.close(timeout=GATE_SECONDS)
        assert sender.publish(topic, b"2", b"{}") is True
        assert sender.drain(GATE_SECONDS)
        assert counted(sender, "published", 2)["failed"] == 0
        assert [m.key for m in read_messages(topic, 2)] == [b"1", b"2"]


class ProducerThatCannotBeMadeTest:
    """The factory fails (e.g. a bad configuration): what waits for the producer is
    counted as failed, and making one is retried after ``retry_producer_after``."""

    @staticmethod
    def failing_first(times: int):
        calls = []

        def factory():
            calls.append(1)
            if len(calls) <= times:
                raise KafkaException("no producer today")
            return kafka_producer_factory()

        return factory, calls

    def test_failure_is_counted_and_the_next_event_makes_it(self, publisher, make_topic):
        topic = make_topic()
        factory, calls = self.failing_first(1)
        sender = publisher(factory, retry_producer_after=0)
        assert sender.publish(topic, b"1", b"{}") is True  # waits for the producer
        stats = counted(sender, "failed")
        assert "cannot create Kafka producer" in stats["last_error"]
        assert sender.publish(topic, b"2", b"{}") is True
        assert sender.drain(GATE_SECONDS)
        assert counted(sender, "published")["failed"] == 1
        assert len(calls) == 2
        assert [m.key for m in read_messages(topic, 1)] == [b"2"]

    def test_no_new_attempt_before_the_retry_interval(self, publisher, make_topic):
        factory, calls = self.failing_first(1)
        sender = publisher(factory, retry_producer_after=3600)
        sender.publish(make_topic(), b"1", b"{}")
        counted(sender, "failed")
        sender.publish(make_topic(), b"2", b"{}")
        assert "will retry" in counted(sender, "failed", 2)["last_error"]
        assert len(calls) == 1

    def test_failures_are_logged_at_most_once_per_interval(self, publisher, make_topic, caplog):
        factory, _ = self.failing_first(3)
        sender = publisher(factory, retry_producer_after=0)
        topic = make_topic()
        with caplog.at_level(logging.WARNING, logger="clients.events"):
            for expected in (1, 2, 3):
                sender.publish(topic, b"1", b"{}")
                counted(sender, "failed", expected)
        lines = [r for r in caplog.records if r.getMessage() == "page-view event not published"]
        assert len(lines) == 1


class ForkTest:
    def test_a_forked_process_makes_its_own_producer(self, publisher, make_topic):
        topic = make_topic()
        sender = publisher()
        assert sender.publish(topic, b"parent", b"{}") is True
        assert sender.drain(GATE_SECONDS)
        parents_producer = id(sender._producer)
        readable, writable = os.pipe()
        child = os.fork()
        if child == 0:  # the child: only os._exit leaves it (no pytest, no atexit)
            try:
                os.close(readable)
                published = sender.publish(topic, b"child", b"{}")
                drained = sender.drain(GATE_SECONDS)
                report = {
                    "published": published,
                    "drained": drained,
                    "own_producer": id(sender._producer) != parents_producer,
                    "stats": sender.stats(),
                }
                os.write(writable, json.dumps(report).encode())
            finally:
                os._exit(0)
        os.close(writable)
        try:
            ready, _, _ = select.select([readable], [], [], ENGINE_WAIT_SECONDS)
            report = json.loads(os.read(readable, 65536)) if ready else None
        finally:
            os.close(readable)
            if not ready:
                os.kill(child, 9)
            os.waitpid(child, 0)
        assert report is not None, "the child never reported"
        assert report["published"] and report["drained"] and report["own_producer"]
        assert report["stats"]["failed"] == 0
        # The parent's producer goes on working after the fork.
        assert sender.publish(topic, b"parent", b"{}") is True
        assert sender.drain(GATE_SECONDS)
        keys = sorted(m.key for m in read_messages(topic, 3))
        assert keys == [b"child", b"parent", b"parent"]


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
            return quick_timeout_factory()()

        sender = publisher(held_factory)
        # Returns while the real producer is not even built yet (held on the publisher's
        # own thread), and again while it cannot connect.
        assert sender.publish(TOPIC_PAGE_VIEWS, b"1", b"{}") is True
        assert building.wait(GATE_SECONDS)
        gate.set()
        wait_until(lambda: sender._producer is not None, GATE_SECONDS, interval=0.01)
        assert sender.publish(TOPIC_PAGE_VIEWS, b"2", b"{}") is True
        stats = counted(sender, "failed", 2)
        assert stats["published"] == 0
        assert "_MSG_TIMED_OUT" in stats["last_error"]
