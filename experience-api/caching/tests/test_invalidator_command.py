"""The invalidator command's backoff pause honours a stop request."""

import threading
import time

from caching.management.commands.invalidate_cache_on_events import pause


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
