"""The invalidator command: its backoff pause honours a stop request; its loop."""

import signal
import threading
import time
from types import SimpleNamespace

import kafka
import pytest
from django.core.management import call_command

from caching import cache as page_cache
from caching.management.commands.invalidate_cache_on_events import pause
from conftest import a_listing_created_event


class PauseTest:
    def test_stop_request_ends_a_long_pause_quickly(self):
        stopping = {"now": False}
        timer = threading.Timer(0.05, lambda: stopping.update(now=True))
        timer.start()
        started = time.monotonic()
        pause(30.0, stopping)
        timer.join()
        assert time.monotonic() - started < 1.0

    def test_pause_without_stop_lasts_its_time(self):
        started = time.monotonic()
        pause(0.05, {"now": False})
        assert 0.04 <= time.monotonic() - started < 0.5


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
        started = time.monotonic()
        try:
            with pytest.raises(KeyboardInterrupt):
                call_command("invalidate_cache_on_events")
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        assert len(generations) == 2
        assert page_cache.current_key(page_cache.HOME) != home_before
        assert time.monotonic() - started < 1.0
        # While the delayed invalidation was pending, polls were shortened to meet it.
        assert min(consumer.timeouts[1:]) < 100
