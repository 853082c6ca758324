"""The invalidator command: its backoff pause honours a stop request; its loop, on the
real broker (a topic and consumer group of its own)."""

import os
import signal
import threading

import kafka
import pytest
from django.core.management import call_command
from kafka.structs import OffsetAndMetadata, TopicPartition

from caching import cache as page_cache
from caching.management.commands import invalidate_cache_on_events as command
from caching.management.commands.invalidate_cache_on_events import pause
from conftest import ENGINE_WAIT_SECONDS, a_listing_created_event
from mpcommon import kafka_config
from testsupport import wait_until


class FakeClock:
    """Stands in for the command module's ``time``: sleeping only moves the clock on,
    and ``on_sleep`` (if set) runs after each sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = None

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(command, "time", fake)
    return fake


class PauseTest:
    def test_stop_request_ends_a_long_pause_within_one_step(self, clock):
        stopping = {"now": False}
        clock.on_sleep = lambda: stopping.update(now=True)  # SIGTERM during the first step
        pause(30.0, stopping)
        assert clock.sleeps == [command.PAUSE_STEP_SECONDS]

    def test_pause_without_stop_lasts_its_time_in_short_steps(self, clock):
        pause(1.0, {"now": False})
        assert sum(clock.sleeps) == pytest.approx(1.0)
        assert max(clock.sleeps) <= command.PAUSE_STEP_SECONDS

    def test_pause_shorter_than_a_step_sleeps_just_that(self, clock):
        pause(0.05, {"now": False})
        assert clock.sleeps == [pytest.approx(0.05)]


class RecordingConsumer(kafka.KafkaConsumer):
    """The real consumer, recording the timeout of every poll the command makes."""

    timeouts: list[int] = []

    def poll(self, timeout_ms=0, max_records=None, **kwargs):
        RecordingConsumer.timeouts.append(timeout_ms)
        return super().poll(timeout_ms=timeout_ms, max_records=max_records, **kwargs)


def start_group_at_the_beginning(topic: str, group: str) -> None:
    """Commit offset 0 for ``group``: the command (``auto_offset_reset=latest`` for a new
    group) then reads the event produced before it joined."""
    consumer = kafka.KafkaConsumer(
        group_id=group, enable_auto_commit=False, **kafka_config.client_kwargs()
    )
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.commit({partition: OffsetAndMetadata(0, "", -1)})
    finally:
        consumer.close()


def produce(topic: str, *values: bytes) -> None:
    producer = kafka.KafkaProducer(acks="all", **kafka_config.client_kwargs())
    try:
        for value in values:
            producer.send(topic, key=b"5", value=value).get(timeout=ENGINE_WAIT_SECONDS)
    finally:
        producer.close(timeout=5)


class InvalidatorLoopTest:
    def test_batch_drops_home_at_once_and_searches_after_the_delay(
        self, monkeypatch, settings, make_topic, consumer_group
    ):
        settings.SEARCH_CACHE_INVALIDATION_DELAYS = [0.05]
        topic, group = make_topic(), consumer_group
        start_group_at_the_beginning(topic, group)
        produce(topic, a_listing_created_event(5))
        search_before = page_cache.current_key(page_cache.SEARCH)
        home_before = page_cache.current_key(page_cache.HOME)
        RecordingConsumer.timeouts = []
        monkeypatch.setattr(kafka, "KafkaConsumer", RecordingConsumer)
        finished = threading.Event()
        outcome: dict = {}

        def stop_once_searches_were_dropped():
            # Stops the command as supervisord does (a signal), once it has done its work.
            try:
                wait_until(
                    lambda: (
                        finished.is_set()
                        or page_cache.current_key(page_cache.SEARCH) != search_before
                    ),
                    ENGINE_WAIT_SECONDS,
                    interval=0.05,
                    message="the delayed search invalidation",
                )
            except AssertionError as exc:
                outcome["error"] = exc
            if not finished.is_set():
                os.kill(os.getpid(), signal.SIGINT)

        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        stopper = threading.Thread(target=stop_once_searches_were_dropped, daemon=True)
        stopper.start()
        try:
            call_command("invalidate_cache_on_events", topic=topic, group=group)
        finally:
            finished.set()
            stopper.join(ENGINE_WAIT_SECONDS)
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        assert "error" not in outcome, outcome["error"]
        assert page_cache.current_key(page_cache.SEARCH) != search_before
        assert page_cache.current_key(page_cache.HOME) != home_before
        # While the delayed invalidation was pending, a poll was shortened to meet it.
        assert min(RecordingConsumer.timeouts) < command.POLL_TIMEOUT_MS
