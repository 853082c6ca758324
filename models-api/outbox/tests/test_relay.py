"""The outbox relay: order, acknowledgement, failure handling and concurrency."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from model_bakery import baker

from catalogue import services as catalogue_services
from mpcommon import events, kafka_topics
from outbox import relay as relay_module
from outbox.models import OutboxEvent
from outbox.relay import PUBLISHER_LOCK_KEY, Relay, make_producer, publish_batch, purge_sent
from outbox.services import NOTIFY_CHANNEL, notify_relay, record_listing_event
from outbox.tests.fakes import FakeProducer


@pytest.fixture
def three_listings(user, category):
    return [
        catalogue_services.create_listing(
            seller=user, title=f"Item {n}", description="d", price="1.00", category="books"
        )
        for n in range(3)
    ]


@pytest.mark.django_db
class PublishBatchTest:
    def test_publishes_in_id_order_and_marks_sent(self, three_listings):
        producer = FakeProducer()
        result = publish_batch(producer)
        rows = list(OutboxEvent.objects.order_by("id"))
        assert [row_id for row_id, _, _ in result.published] == [row.id for row in rows]
        assert [key for _, key, _ in producer.sent] == [
            str(item.id).encode() for item in three_listings
        ]
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
        topic, _, value = producer.sent[0]
        assert topic == events.TOPIC_LISTINGS
        assert events.decode(topic, value) == rows[0].payload

    def test_nothing_pending_publishes_nothing(self, db):
        result = publish_batch(FakeProducer())
        assert (result.claimed, result.published, result.failed_id) == (0, [], None)

    def test_failed_ack_stops_at_that_row_and_records_error(self, three_listings):
        result = publish_batch(FakeProducer(fail_on={1}))
        first, second, third = OutboxEvent.objects.order_by("id")
        assert first.sent_at is not None
        assert (second.sent_at, second.attempts) == (None, 1)
        assert "KafkaTimeoutError" in second.last_error
        assert (third.sent_at, third.attempts) == (None, 0)  # never marked before second
        assert result.failed_id == second.id

        retry = FakeProducer()
        publish_batch(retry)
        assert [key for _, key, _ in retry.sent] == [second.key.encode(), third.key.encode()]
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 0

    def test_send_raising_keeps_row_unsent(self, three_listings):
        result = publish_batch(FakeProducer(raise_on={0}))
        assert result.published == []
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 3
        assert "metadata" in OutboxEvent.objects.order_by("id").first().last_error

    def test_batch_size_limits_one_round(self, three_listings):
        result = publish_batch(FakeProducer(), batch_size=2)
        assert (result.claimed, len(result.published)) == (2, 2)
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 1

    def test_listing_written_while_kafka_unreachable_stays_unsent(
        self, api_client, authenticator, quiet_relay
    ):
        response = api_client.post(
            "/api/v1/listings",
            {"title": "Lamp", "description": "d", "price": "5", "category": "home-garden"},
            format="json",
            HTTP_X_AUTHENTICATOR=authenticator.token,
        )
        assert response.status_code == 201  # the write does not depend on Kafka at all
        # The producer cannot even bootstrap (it negotiates the protocol on creation): the
        # relay backs off and the row waits, unsent, for the next round.
        relay = quiet_relay(
            lambda: make_producer(bootstrap_servers="127.0.0.1:1", max_block_ms=300)
        )
        relay.step()
        row = OutboxEvent.objects.get()
        assert relay.failures == 1 and relay.producer is None
        assert row.sent_at is None


@pytest.mark.django_db
class PurgeSentTest:
    def test_old_sent_rows_deleted_unsent_kept(self, db):
        old = baker.make(OutboxEvent, payload={}, sent_at=timezone.now() - timedelta(days=8))
        recent = baker.make(OutboxEvent, payload={}, sent_at=timezone.now() - timedelta(days=1))
        unsent = baker.make(OutboxEvent, payload={}, sent_at=None)
        assert purge_sent(older_than=timedelta(days=7)) == 1
        remaining = set(OutboxEvent.objects.values_list("id", flat=True))
        assert remaining == {recent.id, unsent.id}
        assert old.id not in remaining


@pytest.fixture
def quiet_relay(monkeypatch):
    """A relay whose waits return at once (stop_event already set), on the test connection."""
    monkeypatch.setattr(relay_module, "close_old_connections", lambda: None)
    stop = threading.Event()
    stop.set()

    def build(factory):
        relay = Relay(producer_factory=factory, stop_event=stop, poll_seconds=0.01)
        monkeypatch.setattr(relay, "_wait_for_new_rows", lambda: None)
        return relay

    return build


@pytest.mark.django_db
class RelayStepTest:
    def test_kafka_down_backs_off_and_keeps_rows(self, three_listings, quiet_relay):
        from kafka.errors import KafkaConnectionError

        def no_broker():
            raise KafkaConnectionError("Unable to bootstrap from 127.0.0.1:1")

        relay = quiet_relay(no_broker)
        relay.step()
        relay.step()
        assert relay.failures == 2
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 3

    def test_recovers_when_kafka_returns(self, three_listings, quiet_relay):
        producers = iter([FakeProducer(fail_on={0}), FakeProducer()])
        relay = quiet_relay(lambda: next(producers))
        relay.step()
        assert relay.failures == 1
        assert relay.producer is None  # the failed producer was dropped
        relay.step()
        assert relay.failures == 0
        assert OutboxEvent.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
class RelayCommandTest:
    def test_once_publishes_pending_events(self, three_listings, monkeypatch):
        producer = FakeProducer()
        monkeypatch.setattr(relay_module, "make_producer", lambda **kwargs: producer)
        from io import StringIO

        out = StringIO()
        call_command("relay_outbox", "--once", stdout=out)
        assert "published 3" in out.getvalue()
        assert len(producer.sent) == 3


@pytest.mark.django_db(transaction=True)
class RelayConcurrencyTest:
    """Committed data and several connections: the guarantees between processes."""

    def test_event_must_be_recorded_inside_a_transaction(self):
        with pytest.raises(RuntimeError):
            record_listing_event(
                event_type=events.LISTING_DELETED, listing_id=1, version=2, document=None
            )

    def test_second_relay_stands_by_while_first_publishes(self):
        baker.make(OutboxEvent, payload={"n": 1}, topic="t", key="1", _quantity=3)
        other = connections.create_connection("default")
        try:
            other.set_autocommit(False)
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISHER_LOCK_KEY])
            standby = FakeProducer()
            result = publish_batch(standby)
            assert result.contended and standby.sent == []
            other.rollback()  # the first relay finishes (or dies)
        finally:
            other.close()
        assert len(publish_batch(FakeProducer()).published) == 3

    def test_two_relays_in_parallel_never_publish_a_row_twice(self):
        baker.make(OutboxEvent, payload={"n": 1}, topic="t", key="1", _quantity=60)
        sent_by: list[list] = [[], []]

        class SlowProducer(FakeProducer):
            def send(self, topic, key=None, value=None):
                time.sleep(0.0005)  # widen the race window
                return super().send(topic, key, value)

        def run(index):
            try:
                idle = 0
                while idle < 20:
                    result = publish_batch(SlowProducer(), batch_size=5)
                    sent_by[index].extend(row_id for row_id, _, _ in result.published)
                    idle = idle + 1 if not result.published else 0
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        published = sent_by[0] + sent_by[1]
        assert sorted(published) == sorted(OutboxEvent.objects.values_list("id", flat=True))
        assert len(published) == len(set(published)) == 60

    def test_notify_wakes_the_relay_before_the_poll_interval(self):
        # A poll interval far longer than any test: the wait can only end by the NOTIFY.
        relay = Relay(producer_factory=FakeProducer, poll_seconds=60)
        relay.listener = relay._listen()
        woken_by = []
        real_notifies = relay.listener.notifies

        def recording_notifies(**kwargs):
            for notify in real_notifies(**kwargs):
                woken_by.append(notify.channel)
                yield notify

        relay.listener.notifies = recording_notifies
        try:
            with transaction.atomic():
                notify_relay()  # delivered at commit
            relay._wait_for_new_rows()
            assert woken_by == [NOTIFY_CHANNEL]
        finally:
            relay._close_listener()


@pytest.mark.kafka
@pytest.mark.django_db
class KafkaPublishTest:
    """Against the real broker (KAFKA_BOOTSTRAP_SERVERS, default 127.0.0.1:9092)."""

    def test_listing_written_while_kafka_down_is_published_once_it_is_back(
        self, api_client, authenticator, quiet_relay
    ):
        import os

        from kafka import KafkaConsumer, TopicPartition

        response = api_client.post(
            "/api/v1/listings",
            {"title": "Kettle", "description": "d", "price": "9.50", "category": "home-garden"},
            format="json",
            HTTP_X_AUTHENTICATOR=authenticator.token,
        )
        listing_id = response.json()["id"]
        # A private topic, so a running stack's indexer never sees this test's events
        # (one fixed name: the consumer below seeks to the exact offset the ack returned).
        topic = "test.models-api.outbox"
        kafka_topics.ensure_topics([kafka_topics.TopicSpec(topic, 1)])  # no auto-creation
        OutboxEvent.objects.update(topic=topic)

        down = quiet_relay(lambda: make_producer(bootstrap_servers="127.0.0.1:1", max_block_ms=300))
        down.step()
        assert down.failures == 1
        assert OutboxEvent.objects.get().sent_at is None

        up = make_producer(max_block_ms=15000)
        try:
            result = publish_batch(up)
        finally:
            up.close(timeout=5)
        assert result.failed_id is None, result.error
        row = OutboxEvent.objects.get()
        assert row.sent_at is not None
        [(_, partition, offset)] = result.published

        consumer = KafkaConsumer(
            bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            enable_auto_commit=False,
            consumer_timeout_ms=10000,
        )
        try:
            partition_ = TopicPartition(topic, partition)
            consumer.assign([partition_])
            consumer.seek(partition_, offset)
            message = next(iter(consumer))
        finally:
            consumer.close()
        assert message.key == str(listing_id).encode()
        event = json.loads(message.value)
        events.validate_event(events.TOPIC_LISTINGS, event)
        assert event["event_id"] == row.payload["event_id"]
        assert event["listing"]["id"] == listing_id
