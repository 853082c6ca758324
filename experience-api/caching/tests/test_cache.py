"""Cache behaviour against the real Redis (test settings: DB 15, prefix ``exp-test-<pid>``)."""

import threading
import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_redis import get_redis_connection

from caching import cache as page_cache
from caching.invalidation import invalidate_listings, listing_ids_to_invalidate
from clients.models_api import ModelsApiUnavailable
from conftest import GATE_SECONDS, REDIS_DOWN_CACHES, a_listing_created_event
from mpcommon.events import TOPIC_LISTINGS

FRESH = 30


@pytest.fixture(autouse=True)
def redis_is_up():
    try:
        get_redis_connection("default").ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"these tests need the real Redis at REDIS_URL/TEST_REDIS_URL: {exc}")


class Counter:
    """A compute function that counts its calls; ``hold`` (if any) runs before it returns
    (e.g. until the other readers wait, or until the test opens a gate)."""

    def __init__(self, value="v", cacheable=True, error=None, hold=None):
        self.calls = 0
        self.value = value
        self.cacheable = cacheable
        self.error = error
        self.hold = hold
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        if self.hold:
            self.hold()
        if self.error:
            raise self.error
        return self.value, self.cacheable


def gated(value):
    """A Counter held until the test opens the returned gate (a slow backend)."""
    gate = threading.Event()
    return Counter(value, hold=lambda: gate.wait(GATE_SECONDS)), gate


@pytest.fixture
def patient_waiters(settings, monkeypatch):
    """Waiters outlast any scheduling delay: these tests are about who computes, not
    about how long anyone waits."""
    settings.CACHE_LOCK_WAIT_SECONDS = 60
    monkeypatch.setattr(page_cache, "HANDOFF_SECONDS", 60)


def make_stale(namespace):
    key = page_cache.current_key(namespace)
    entry = cache.get(key)
    entry["fresh_until"] = time.time() - 1
    cache.set(key, entry, timeout=60)


class GetOrComputeTest:
    def test_fresh_entry_is_served_without_recomputing(self):
        compute = Counter("home page")
        assert page_cache.get_or_compute("home", compute, fresh_seconds=FRESH) == "home page"
        assert page_cache.get_or_compute("home", compute, fresh_seconds=FRESH) == "home page"
        assert compute.calls == 1

    def test_entry_expires_from_redis_after_fresh_plus_stale_window(self):
        page_cache.get_or_compute("home", Counter(), fresh_seconds=FRESH)
        ttl = cache.ttl(page_cache.current_key("home"))
        assert FRESH < ttl <= FRESH + 120

    def test_degraded_value_is_returned_but_not_stored(self):
        compute = Counter("partial", cacheable=False)
        page_cache.get_or_compute("listing:1", compute, fresh_seconds=FRESH)
        page_cache.get_or_compute("listing:1", compute, fresh_seconds=FRESH)
        assert compute.calls == 2

    def test_invalidate_makes_next_read_recompute(self):
        compute = Counter()
        page_cache.get_or_compute("listing:5", compute, fresh_seconds=FRESH)
        page_cache.invalidate_listing(5)
        page_cache.get_or_compute("listing:5", compute, fresh_seconds=FRESH)
        assert compute.calls == 2

    def test_invalidate_listing_also_invalidates_home_but_not_other_listings(self):
        home, other = Counter(), Counter()
        page_cache.get_or_compute("home", home, fresh_seconds=FRESH)
        page_cache.get_or_compute("listing:6", other, fresh_seconds=FRESH)
        page_cache.invalidate_listing(5)
        page_cache.get_or_compute("home", home, fresh_seconds=FRESH)
        page_cache.get_or_compute("listing:6", other, fresh_seconds=FRESH)
        assert (home.calls, other.calls) == (2, 1)

    def test_invalidation_remembers_the_replaced_generation(self):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        old_key = page_cache.current_key("home")
        page_cache.invalidate("home")
        current, previous = page_cache._current_and_previous_keys("home", None)
        assert (previous, current != old_key) == (old_key, True)

    def test_foreground_callers_never_get_the_previous_generation(self):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        page_cache.invalidate("home")
        assert page_cache.get_or_compute("home", Counter("new"), fresh_seconds=FRESH) == "new"

    def test_recomputation_started_before_invalidation_cannot_resurrect_old_data(self):
        old_key = page_cache.current_key("home")
        page_cache.invalidate("home")
        # A slow worker that read the old generation stores its (old) result there...
        cache.set(old_key, {"value": "old", "fresh_until": time.time() + 60}, timeout=60)
        # ...and readers of the new generation never see it.
        assert page_cache.get_or_compute("home", Counter("new"), fresh_seconds=FRESH) == "new"


class StampedeTest:
    def test_cold_key_many_concurrent_readers_compute_once(self, lock_waiters, patient_waiters):
        # The one computation ends only once the nine other readers wait for it.
        compute = Counter("value", hold=lambda: lock_waiters.wait_for(9))
        results = []

        def read():
            results.append(page_cache.get_or_compute("home", compute, fresh_seconds=FRESH))

        threads = [threading.Thread(target=read) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert compute.calls == 1
        assert results == ["value"] * 10

    def test_stale_entry_is_served_while_another_worker_refreshes(self, sleeps_of_this_thread):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        make_stale("home")
        cache.add(f"lock:{page_cache.current_key('home')}", 1, timeout=5)  # someone refreshes
        compute = Counter("new")
        assert page_cache.get_or_compute("home", compute, fresh_seconds=FRESH) == "old"
        assert compute.calls == 0
        assert sleeps_of_this_thread == []  # served at once, no waiting for the refresh

    def test_stale_entry_is_refreshed_by_the_lock_winner(self):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        make_stale("home")
        assert page_cache.get_or_compute("home", Counter("new"), fresh_seconds=FRESH) == "new"
        assert page_cache.get_or_compute("home", Counter("newer"), fresh_seconds=FRESH) == "new"

    def test_failed_refresh_serves_the_stale_copy(self):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        make_stale("home")
        failing = Counter(error=ModelsApiUnavailable())
        assert page_cache.get_or_compute("home", failing, fresh_seconds=FRESH) == "old"
        assert cache.get(f"lock:{page_cache.current_key('home')}") is None  # lock released

    def test_cold_key_failure_propagates_and_releases_the_lock(self):
        with pytest.raises(ModelsApiUnavailable):
            page_cache.get_or_compute(
                "home", Counter(error=ModelsApiUnavailable()), fresh_seconds=FRESH
            )
        assert page_cache.get_or_compute("home", Counter("ok"), fresh_seconds=FRESH) == "ok"

    def test_waiter_computes_itself_when_lock_holder_vanishes(self):
        lock_key = f"lock:{page_cache.current_key('home')}"
        cache.add(lock_key, 1, timeout=0.1)  # a holder that died; its lock expires soon
        compute = Counter("mine")
        assert page_cache.get_or_compute("home", compute, fresh_seconds=FRESH) == "mine"
        assert compute.calls == 1


class BackgroundRefreshTest:
    def test_winner_serves_stale_and_the_pool_stores_the_new_value(self):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        make_stale("home")
        compute, gate = gated("new")
        value = page_cache.get_or_compute(
            "home", compute, fresh_seconds=FRESH, refresh_in_background=True
        )
        # Answered while the refresh cannot finish: nobody waited for it.
        assert value == "old"
        assert cache.get(page_cache.current_key("home"))["value"] == "old"
        gate.set()
        page_cache.wait_for_background_refreshes(GATE_SECONDS)
        assert compute.calls == 1
        assert page_cache.get_or_compute("home", Counter("newer"), fresh_seconds=FRESH) == "new"
        assert cache.get(f"lock:{page_cache.current_key('home')}") is None

    def test_failed_background_refresh_keeps_stale_copy_and_releases_lock(self):
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        make_stale("home")
        failing = Counter(error=ModelsApiUnavailable())
        value = page_cache.get_or_compute(
            "home", failing, fresh_seconds=FRESH, refresh_in_background=True
        )
        page_cache.wait_for_background_refreshes()
        assert value == "old"
        assert failing.calls == 1
        assert cache.get(f"lock:{page_cache.current_key('home')}") is None
        assert cache.get(page_cache.current_key("home"))["value"] == "old"

    def test_saturated_pool_leaves_the_refresh_to_a_later_request(self, monkeypatch):
        monkeypatch.setattr(page_cache, "_refresh_slots", threading.BoundedSemaphore(1))
        page_cache._refresh_slots.acquire()  # the only slot is busy
        page_cache.get_or_compute("home", Counter("old"), fresh_seconds=FRESH)
        make_stale("home")
        compute = Counter("new")
        value = page_cache.get_or_compute(
            "home", compute, fresh_seconds=FRESH, refresh_in_background=True
        )
        assert (value, compute.calls) == ("old", 0)
        assert cache.get(f"lock:{page_cache.current_key('home')}") is None


class HandoffTest:
    def test_uncacheable_value_goes_to_concurrent_waiters_but_not_later_readers(
        self, lock_waiters, patient_waiters
    ):
        # The one computation ends only once the seven other readers wait for it.
        compute = Counter("partial", cacheable=False, hold=lambda: lock_waiters.wait_for(7))
        results = []

        def read():
            results.append(page_cache.get_or_compute("listing:2", compute, fresh_seconds=FRESH))

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert compute.calls == 1
        assert results == ["partial"] * 8
        page_cache.get_or_compute("listing:2", compute, fresh_seconds=FRESH)
        assert compute.calls == 2

    def test_handoff_of_an_earlier_computation_is_not_taken_by_a_new_waiter(self):
        key = page_cache.current_key("home")
        cache.set(f"handoff:{key}:old-token", {"value": "earlier"}, timeout=3)
        cache.add(f"lock:{key}", "new-token", timeout=0.1)  # a holder that dies
        assert page_cache.get_or_compute("home", Counter("mine"), fresh_seconds=FRESH) == "mine"


class RedisDownTest:
    def test_pages_are_computed_uncached_without_waiting_when_redis_is_unreachable(
        self, sleeps_of_this_thread
    ):
        with override_settings(CACHES=REDIS_DOWN_CACHES):
            compute = Counter("live")
            for _ in range(3):
                assert page_cache.get_or_compute("home", compute, fresh_seconds=FRESH) == "live"
            page_cache.invalidate_listing(1)  # no error either
        assert compute.calls == 3
        assert sleeps_of_this_thread == []  # no lock wait: nobody can hold a lock

    def test_cache_disabled_computes_every_time(self):
        dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        with override_settings(CACHES=dummy):
            compute = Counter()
            page_cache.get_or_compute("home", compute, fresh_seconds=FRESH)
            page_cache.get_or_compute("home", compute, fresh_seconds=FRESH)
        assert compute.calls == 2


class EventInvalidationTest:
    def test_batch_names_listings_and_skips_poison_messages(self):
        raw = [
            a_listing_created_event(3),
            b"not json",
            a_listing_created_event(4),
            a_listing_created_event(3),
            None,
        ]
        assert listing_ids_to_invalidate(TOPIC_LISTINGS, raw) == {3, 4}

    def test_invalidation_drops_detail_pages_and_home(self):
        home, three, nine = Counter(), Counter(), Counter()
        for namespace, compute in (("home", home), ("listing:3", three), ("listing:9", nine)):
            page_cache.get_or_compute(namespace, compute, fresh_seconds=FRESH)
        invalidate_listings({3})
        for namespace, compute in (("home", home), ("listing:3", three), ("listing:9", nine)):
            page_cache.get_or_compute(namespace, compute, fresh_seconds=FRESH)
        assert (home.calls, three.calls, nine.calls) == (2, 2, 1)


class LockRaceTest:
    def test_lock_won_just_after_another_winner_stored_does_not_recompute(self, monkeypatch):
        """A reader that missed, then won the lock only because the previous winner had
        stored the value and released it, serves that value."""
        compute = Counter("second")
        real_lock_and_look = page_cache._lock_and_look

        def lock_after_the_other_winner(lock_key, token, key):
            # The other winner stores and lets go between our miss and our lock attempt.
            cache.set(
                page_cache.current_key("home"),
                {"value": "first", "fresh_until": time.time() + 30},
            )
            return real_lock_and_look(lock_key, token, key)

        monkeypatch.setattr(page_cache, "_lock_and_look", lock_after_the_other_winner)
        assert page_cache.get_or_compute("home", compute, fresh_seconds=FRESH) == "first"
        assert compute.calls == 0
        # The lock taken on the way is let go at once.
        assert cache.get("lock:" + page_cache.current_key("home")) is None


class PipelinedWritesTest:
    """The cold path's lock, store and release (pipelined) leave Redis as separate calls
    would: the entry with its whole lifetime, the hand-off short-lived, no lock."""

    def ttl(self, key):
        return get_redis_connection("default").pttl(cache.make_and_validate_key(key)) / 1000

    def test_stored_entry_has_fresh_plus_stale_lifetime_and_the_lock_is_gone(self):
        value = page_cache.get_or_compute(
            "search", lambda: ("page", True), fresh_seconds=FRESH, variant="v1", stale_seconds=7
        )
        key = page_cache.current_key("search", "v1")
        assert value == "page"
        assert cache.get(key)["value"] == "page"
        assert FRESH + 6 < self.ttl(key) <= FRESH + 7
        assert cache.get("lock:" + key) is None

    def test_value_not_stored_is_handed_off_briefly_and_the_lock_is_gone(self):
        value = page_cache.get_or_compute(
            "search", lambda: ("empty", False), fresh_seconds=FRESH, variant="v2"
        )
        key = page_cache.current_key("search", "v2")
        assert value == "empty"
        assert cache.get(key) is None
        assert cache.get("lock:" + key) is None
        [handoff] = get_redis_connection("default").keys(
            cache.make_and_validate_key(f"handoff:{key}:*")
        )
        assert (
            0 < get_redis_connection("default").pttl(handoff) <= page_cache.HANDOFF_SECONDS * 1000
        )

    def test_a_failed_computation_releases_the_lock_and_stores_nothing(self):
        def fail():
            raise ModelsApiUnavailable("down")

        with pytest.raises(ModelsApiUnavailable):
            page_cache.get_or_compute("search", fail, fresh_seconds=FRESH, variant="v3")
        key = page_cache.current_key("search", "v3")
        assert cache.get(key) is None
        assert cache.get("lock:" + key) is None
