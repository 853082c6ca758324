"""The invalidator command: its backoff pause honours a stop request; its loop."""

import signal
import time
from types import SimpleNamespace

import kafka
import pytest
from django.core.management import call_command

from caching import cache as page_cache
from caching.management.commands import invalidate_cache_on_events as command
from caching.management.commands.invalidate_cache_on_events import pause
from conftest import a_listing_created_event


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


class FakeConsumer:
    """Hands out one batch of listing events, then empty polls until told to stop."""

    def __init__(self, batch, stop_when):
        self.batch = batch
        self.stop_when = stop_when
        self.timeouts: list[int] = []
        self.closed = False

    def poll(self, timeout_ms, max_records):
        self.timeouts.append(timeout_ms)
        if self.batch is not None:
            batch, self.batch = self.batch, None
            return {"listings-0": [SimpleNamespace(value=raw) for raw in batch]}
        if self.stop_when():
            raise KeyboardInterrupt  # not an Exception: ends handle() like a hard stop
        time.sleep(timeout_ms / 1000)
        return {}

    def close(self, autocommit=True):
        self.closed = True


class InvalidatorLoopTest:
    def test_batch_drops_home_at_once_and_searches_after_the_delay(self, monkeypatch, settings):
        settings.SEARCH_CACHE_INVALIDATION_DELAYS = [0.05]
        generations = []

        def record_search_generation():
            key = page_cache.current_key(page_cache.SEARCH)
            if not generations or generations[-1] != key:
                generations.append(key)
            return len(generations) >= 2  # initial, after the delay

        consumer = FakeConsumer([a_listing_created_event(5)], stop_when=record_search_generation)
        record_search_generation()
        home_before = page_cache.current_key(page_cache.HOME)
        monkeypatch.setattr(kafka, "KafkaConsumer", lambda *args, **kwargs: consumer)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            with pytest.raises(KeyboardInterrupt):
                call_command("invalidate_cache_on_events")
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        assert len(generations) == 2
        assert page_cache.current_key(page_cache.HOME) != home_before
        # While the delayed invalidation was pending, polls were shortened to meet it.
        assert min(consumer.timeouts[1:]) < 100
