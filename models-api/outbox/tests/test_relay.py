"""The outbox relay on the real broker (a topic of each test's own, read back by a
consumer): order, acknowledgement, failure handling, concurrency, and the order per
listing under concurrent writers. Kafka down is a producer on a closed port."""

from __future__ import annotations

import json
import random
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from model_bakery import baker

from catalogue import services as catalogue_services
from catalogue.models import Category, Listing
from mpcommon import events, kafka_config
from outbox import relay as relay_module
from outbox.models import OutboxEvent
from outbox.relay import (
    PUBLISHER_LOCK_KEY,
    Relay,
    make_producer,
    publish_batch,
    purge_sent,
    unsent_count,
)
from outbox.services import NOTIFY_CHANNEL, notify_relay, record_listing_event
from outbox.tests.conftest import CLOSED_PORT
from testsupport import wait_until
from testsupport.kafka import KAFKA_WAIT_SECONDS, end_offset, read_messages


@pytest.fixture
def producer():
    """The relay's real producer (durable acks, idempotent), on the stack's broker."""
    made = make_producer(max_block_ms=15000)
    yield made
    made.close(timeout=5)


def unreachable_producer():
    """The relay's producer factory while Kafka is down: bootstrapping fails (kafka-python
    negotiates the protocol when the producer is made)."""
    return make_producer(bootstrap_servers=CLOSED_PORT, max_block_ms=300)


def set_topic_config(topic: str, **configs: str) -> None:
    admin = KafkaAdminClient(**kafka_config.client_kwargs())
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)])
    finally:
        admin.close()


@pytest.fixture
def three_listings(user, category, outbox_topic):
    return [
        catalogue_services.create_listing(
            seller=user, title=f"Item {n}", description="d", price="1.00", category="books"
        )
        for n in range(3)
    ]


@pytest.mark.django_db
class PublishBatchTest:
    def test_publishes_in_id_order_and_marks_sent(self, three_listings, producer, outbox_topic):
        result = publish_batch(producer)
        rows = list(OutboxEvent.objects.order_by("id"))
        assert [row_id for row_id, _, _ in result.published] == [row.id for row in rows]
        assert [offset for _, _, offset in result.published] == [0, 1, 2]
        assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
        messages = read_messages(outbox_topic, 3)
        assert [m.key for m in messages] == [str(item.id).encode() for item in three_listings]
        assert [events.decode(events.TOPIC_LISTINGS, m.value) for m in messages] == [
            row.payload for row in rows
        ]

    def test_nothing_pending_publishes_nothing(self, db, producer):
        result = publish_batch(producer)
        assert (result.claimed, result.published, result.failed_id) == (0, [], None)

    def test_failed_ack_stops_at_that_row_and_records_error(
        self, user, category, producer, make_topic, settings
    ):
        # The broker refuses the second event (too big for the topic), acks the others.
        settings.OUTBOX_LISTINGS_TOPIC = topic = make_topic(**{"max.message.bytes": "2048"})
        for description in ("short", "long " * 1000, "short"):
            catalogue_services.create_listing(
                seller=user, title="Lamp", description=description, price="1.00", category="books"
            )
        result = publish_batch(producer)
        first, second, third = OutboxEvent.objects.order_by("id")
        assert first.sent_at is not None
        assert (second.sent_at, second.attempts) == (None, 1)
        assert "MessageSizeTooLarge" in second.last_error
        assert (third.sent_at, third.attempts) == (None, 0)  # never marked before second
        assert result.failed_id == second.id

        set_topic_config(topic, **{"max.message.bytes": "1048588"})  # the broker relents
        # As the relay does after a failure: a fresh producer (the failed one is dropped).
        fresh = make_producer(max_block_ms=15000)
        try:
            retry = publish_batch(fresh)
        finally:
            fresh.close(timeout=5)
        assert [row_id for row_id, _, _ in retry.published] == [second.id, third.id]
        assert unsent_count() == 0
        # At least once: the third event may have been acked in the first round too (not
        # marked sent, as it came after the failure), so it may be there twice.
        keys = [m.key.decode() for m in read_messages(topic, end_offset(topic))]
        assert keys in (
            [first.key, second.key, third.key],
            [first.key, third.key, second.key, third.key],
        )

    def test_send_raising_keeps_row_unsent(self, user, category):
        # The test settings' topic does not exist (the broker never creates one): the
        # send gives up waiting for its metadata.
        catalogue_services.create_listing(
            seller=user, title="Lamp", description="d", price="1.00", category="books"
        )
        quick = make_producer(max_block_ms=300)
        try:
            result = publish_batch(quick)
        finally:
            quick.close(timeout=0)
        assert result.published == []
        row = OutboxEvent.objects.get()
        assert (row.sent_at, row.attempts) == (None, 1)
        assert "metadata" in row.last_error

    def test_batch_size_limits_one_round(self, three_listings, producer):
        result = publish_batch(producer, batch_size=2)
        assert (result.claimed, len(result.published)) == (2, 2)
        assert unsent_count() == 1

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
        # The producer cannot even bootstrap: the relay backs off and the row waits,
        # unsent, for the next round.
        relay = quiet_relay(unreachable_producer)
        relay.step()
        assert relay.failures == 1 and relay.producer is None
        assert OutboxEvent.objects.get().sent_at is None


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
        relay = quiet_relay(unreachable_producer)
        relay.step()
        relay.step()
        assert relay.failures == 2
        assert unsent_count() == 3

    def test_recovers_when_kafka_returns(self, three_listings, quiet_relay, outbox_topic):
        factories = iter([unreachable_producer, lambda: make_producer(max_block_ms=15000)])
        relay = quiet_relay(lambda: next(factories)())
        relay.step()
        assert relay.failures == 1
        assert relay.producer is None  # the failed producer was dropped
        try:
            relay.step()
        finally:
            relay._close_producer()
        assert relay.failures == 0
        assert unsent_count() == 0
        assert end_offset(outbox_topic) == 3


@pytest.mark.django_db
class RelayCommandTest:
    def test_once_publishes_pending_events(self, three_listings, outbox_topic):
        out = StringIO()
        call_command("relay_outbox", "--once", stdout=out)
        assert "published 3" in out.getvalue()
        assert [m.offset for m in read_messages(outbox_topic, 3)] == [0, 1, 2]
        assert end_offset(outbox_topic) == 3


@pytest.mark.django_db(transaction=True)
class RelayConcurrencyTest:
    """Committed data and several connections: the guarantees between processes."""

    def test_event_must_be_recorded_inside_a_transaction(self):
        with pytest.raises(RuntimeError):
            record_listing_event(
                event_type=events.LISTING_DELETED, listing_id=1, version=2, document=None
            )

    def test_second_relay_stands_by_while_first_publishes(self, producer, make_topic):
        topic = make_topic()
        baker.make(OutboxEvent, payload={"n": 1}, topic=topic, key="1", _quantity=3)
        other = connections.create_connection("default")
        try:
            other.set_autocommit(False)
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLISHER_LOCK_KEY])
            result = publish_batch(producer)
            assert result.contended and result.published == []
            other.rollback()  # the first relay finishes (or dies)
        finally:
            other.close()
        assert end_offset(topic) == 0  # the standby sent nothing
        assert len(publish_batch(producer).published) == 3
        assert end_offset(topic) == 3

    def test_two_relays_in_parallel_never_publish_a_row_twice(self, make_topic):
        topic = make_topic()
        baker.make(OutboxEvent, payload={"n": 1}, topic=topic, key="1", _quantity=60)
        sent_by: list[list] = [[], []]

        def run(index):
            relay_producer = make_producer(max_block_ms=15000)
            try:
                idle = 0
                while idle < 20:
                    result = publish_batch(relay_producer, batch_size=5)
                    sent_by[index].extend(row_id for row_id, _, _ in result.published)
                    idle = idle + 1 if not result.published else 0
            finally:
                relay_producer.close(timeout=5)
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=KAFKA_WAIT_SECONDS)
        published = sent_by[0] + sent_by[1]
        assert sorted(published) == sorted(OutboxEvent.objects.values_list("id", flat=True))
        assert len(published) == len(set(published)) == 60
        assert end_offset(topic) == 60  # on the broker too: each row once

    def test_notify_wakes_the_relay_before_the_poll_interval(self):
        # A poll interval far longer than any test: the wait can only end by the NOTIFY
        # (no producer is made: the relay only waits here).
        relay = Relay(producer_factory=make_producer, poll_seconds=60)
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
        self, api_client, authenticator, outbox_topic, quiet_relay, producer
    ):
        response = api_client.post(
            "/api/v1/listings",
            {"title": "Kettle", "description": "d", "price": "9.50", "category": "home-garden"},
            format="json",
            HTTP_X_AUTHENTICATOR=authenticator.token,
        )
        listing_id = response.json()["id"]

        down = quiet_relay(unreachable_producer)
        down.step()
        assert down.failures == 1
        assert OutboxEvent.objects.get().sent_at is None

        result = publish_batch(producer)  # Kafka is back
        assert result.failed_id is None, result.error
        row = OutboxEvent.objects.get()
        assert row.sent_at is not None
        assert [(partition, offset) for _, partition, offset in result.published] == [(0, 0)]

        (message,) = read_messages(outbox_topic, 1)
        assert message.key == str(listing_id).encode()
        event = json.loads(message.value)
        events.validate_event(events.TOPIC_LISTINGS, event)
        assert event["event_id"] == row.payload["event_id"]
        assert event["listing"]["id"] == listing_id


@pytest.mark.kafka
@pytest.mark.django_db(transaction=True)
class RelayOrderUnderConcurrentWritersTest:
    """Several sessions of the seller update the same listings at once (the real
    services: row locks, transactions, outbox rows) while the relay runs; a consumer of
    the topic then sees every listing's versions in order, each exactly once."""

    LISTINGS = 4
    WRITERS = 4
    UPDATES_PER_WRITER = 15

    @pytest.fixture
    def books(self):
        """Seeded by a migration, but the flush after an earlier transactional test
        removes the seeded rows."""
        return Category.objects.get_or_create(slug="books", defaults={"name": "Books"})[0]

    def test_each_listings_events_reach_the_topic_in_version_order(self, user, books, outbox_topic):
        listing_ids = [
            catalogue_services.create_listing(
                seller=user, title=f"Lamp {n}", description="d", price="1.00", category="books"
            ).id
            for n in range(self.LISTINGS)
        ]
        stop = threading.Event()
        relay = Relay(
            producer_factory=lambda: make_producer(max_block_ms=15000),
            batch_size=7,  # many batches, interleaved with the writers' commits
            poll_seconds=0.2,
            stop_event=stop,
        )

        def run_relay():
            try:
                relay.run()
            finally:
                connection.close()

        errors: list[BaseException] = []
        all_started = threading.Barrier(self.WRITERS)

        def write(seed: int):
            choose = random.Random(seed)
            try:
                all_started.wait(KAFKA_WAIT_SECONDS)
                for n in range(self.UPDATES_PER_WRITER):
                    catalogue_services.update_listing(
                        listing_id=choose.choice(listing_ids),
                        actor=user,
                        changes={"price": f"{seed + 1}.{n:02d}"},
                    )
            except BaseException as exc:  # noqa: BLE001 - reported by the test's thread
                errors.append(exc)
            finally:
                connection.close()

        relay_thread = threading.Thread(target=run_relay)
        writers = [threading.Thread(target=write, args=(i,)) for i in range(self.WRITERS)]
        relay_thread.start()
        try:
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join(KAFKA_WAIT_SECONDS)
            assert errors == []
            total = self.LISTINGS + self.WRITERS * self.UPDATES_PER_WRITER
            assert OutboxEvent.objects.count() == total
            wait_until(
                lambda: unsent_count() == 0,
                KAFKA_WAIT_SECONDS,
                message="every outbox row published",
            )
        finally:
            stop.set()
            relay_thread.join(KAFKA_WAIT_SECONDS)

        versions: dict[int, list[int]] = {}
        for message in read_messages(outbox_topic, total):
            event = events.decode(events.TOPIC_LISTINGS, message.value)
            assert message.key == str(event["listing_id"]).encode()
            versions.setdefault(event["listing_id"], []).append(event["version"])
        assert end_offset(outbox_topic) == total  # nothing published twice
        final = dict(Listing.objects.values_list("id", "version"))
        assert set(versions) == set(listing_ids)
        for listing_id, seen in versions.items():
            # Strictly increasing, none missing: 1, 2, ..., the listing's version now.
            assert seen == list(range(1, final[listing_id] + 1)), listing_id
