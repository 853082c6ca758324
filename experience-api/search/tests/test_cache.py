"""Search results caching against the real Redis (test settings: DB 15, prefix
``exp-test-<pid>``) and the real search engine (a private index per test, see
``search/tests/conftest.py``)."""

import threading
import time

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_redis import get_redis_connection

from caching import cache as page_cache
from caching.invalidation import SearchInvalidation, invalidate_listings
from conftest import GATE_SECONDS, REDIS_DOWN_CACHES, a_listing
from search import selectors
from search.queries import SearchParams, cache_variant
from search.tests.conftest import lamp

URL = "/api/v1/search"


@pytest.fixture(autouse=True)
def redis_is_up():
    try:
        get_redis_connection("default").ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"these tests need the real Redis at REDIS_URL/TEST_REDIS_URL: {exc}")


def entry_key(params: SearchParams) -> str:
    return page_cache.current_key(page_cache.SEARCH, cache_variant(params))


def gate_engine(engine) -> threading.Event:
    """Engine queries block until the test sets the returned gate (a slow engine)."""
    gate = threading.Event()
    engine.hold = lambda: gate.wait(GATE_SECONDS)
    return gate


def replace_lamp(engine) -> None:
    """The lamp listing is now id 2 (what a refreshed page must show)."""
    engine.index.remove(1)
    engine.index.add(lamp(id=2))


def make_stale(params: SearchParams) -> None:
    key = entry_key(params)
    entry = cache.get(key)
    entry["fresh_until"] = time.time() - 1
    cache.set(key, entry, timeout=60)


class SearchCacheTest:
    def test_repeated_search_is_served_from_cache(self, api, engine):
        first = api.get(URL, {"q": "lamp", "sort": "hot"})
        second = api.get(URL, {"q": "lamp", "sort": "hot"})
        assert first.status_code == second.status_code == 200
        assert first.json() == second.json()
        assert engine.calls == 1

    def test_other_spelling_shares_the_entry_and_echoes_its_own_words(self, api, engine):
        api.get(URL, {"q": "brass lamp"})
        response = api.get(URL, {"q": "  Brass   LAMP "})
        assert engine.calls == 1
        assert response.json()["query"]["q"] == "Brass LAMP"
        assert response.json()["results"][0]["id"] == 1

    def test_engine_is_sent_the_normalised_words(self, api, engine):
        api.get(URL, {"q": "Brass  LAMP"})
        fuzzy = engine.bodies[0]["query"]["bool"]["must"][0]["bool"]["must"][0]["bool"]
        assert fuzzy["should"][0]["multi_match"]["query"] == "brass lamp"

    def test_different_filters_sort_or_page_are_separate_entries(self, api, engine):
        for params in (
            {"q": "lamp"},
            {"q": "lamp", "category": "home"},
            {"q": "lamp", "min_price": "5"},
            {"q": "lamp", "sort": "newest"},
            {"q": "lamp", "page": "2"},
        ):
            api.get(URL, params)
        assert engine.calls == 5

    def test_entry_lives_for_fresh_plus_stale_window(self, api, engine, settings):
        api.get(URL, {"q": "lamp"})
        ttl = cache.ttl(entry_key(SearchParams(q="lamp")))
        window = settings.SEARCH_CACHE_SECONDS + settings.SEARCH_CACHE_STALE_SECONDS
        assert settings.SEARCH_CACHE_SECONDS < ttl <= window

    def test_page_is_refreshed_once_search_cache_seconds_are_over(self, api, engine, settings):
        settings.SEARCH_CACHE_SECONDS = 0.05
        api.get(URL, {"q": "lamp"})
        time.sleep(0.06)
        replace_lamp(engine)
        api.get(URL, {"q": "lamp"})  # stale: served, refresh started
        page_cache.wait_for_background_refreshes()
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 2
        assert engine.calls == 2

    def test_stale_page_is_served_at_once_and_refreshed_in_the_background(self, api, engine):
        api.get(URL, {"q": "lamp"})
        make_stale(SearchParams(q="lamp"))
        replace_lamp(engine)
        gate = gate_engine(engine)
        # Answered while the refresh cannot finish: the request did not wait for it.
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 1
        assert cache.get(entry_key(SearchParams(q="lamp")))["value"]["results"][0]["id"] == 1
        gate.set()
        page_cache.wait_for_background_refreshes(GATE_SECONDS)
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 2
        assert engine.calls == 2


class EmptyAndFailedSearchTest:
    def test_refresh_that_finds_nothing_drops_the_stale_copy(self, api, engine):
        api.get(URL, {"q": "lamp"})
        make_stale(SearchParams(q="lamp"))
        engine.index.remove(1)  # sold: no lamp any more
        assert api.get(URL, {"q": "lamp"}).json()["total"] == 1  # stale, refresh started
        page_cache.wait_for_background_refreshes()
        assert api.get(URL, {"q": "lamp"}).json()["total"] == 0
        assert engine.calls == 3

    def test_search_without_results_is_not_cached(self, api, engine):
        assert api.get(URL, {"q": "zyxw"}).json()["total"] == 0
        # The listing gets indexed: the very next search finds it.
        engine.index.add(a_listing(id=2, title="zyxw"))
        assert api.get(URL, {"q": "zyxw"}).json()["total"] == 1
        assert engine.calls == 2
        assert cache.get(entry_key(SearchParams(q="zyxw"))) is not None

    def test_page_past_the_last_is_not_cached(self, api, engine):
        api.get(URL, {"q": "lamp", "page": "2"})  # one lamp: page 2 is past the last
        api.get(URL, {"q": "lamp", "page": "2"})
        assert engine.calls == 2

    def test_engine_failure_is_503_and_not_cached(self, api, engine):
        with engine.unreachable():
            assert api.get(URL, {"q": "lamp"}).status_code == 503
        assert cache.get(entry_key(SearchParams(q="lamp"))) is None
        assert api.get(URL, {"q": "lamp"}).status_code == 200
        assert engine.calls == 2

    def test_engine_failure_releases_the_lock(self, api, engine):
        with engine.unreachable():
            assert api.get(URL, {"q": "lamp"}).status_code == 503
        assert cache.get(f"lock:{entry_key(SearchParams(q='lamp'))}") is None

    def test_stale_copy_is_served_when_the_refresh_fails(self, api, engine):
        api.get(URL, {"q": "lamp"})
        make_stale(SearchParams(q="lamp"))
        with engine.unreachable():
            response = api.get(URL, {"q": "lamp"})
            page_cache.wait_for_background_refreshes()
        assert response.status_code == 200
        assert response.json()["results"][0]["id"] == 1
        assert engine.calls == 2
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 1


class ConcurrentSearchTest:
    @pytest.fixture(autouse=True)
    def patient_waiters(self, settings, monkeypatch):
        # Waiters wait up to SEARCH_TIMEOUT (0.5 s in the test settings) and take a
        # hand-off within HANDOFF_SECONDS: these tests are about who queries the engine,
        # not about how long anyone waits.
        settings.SEARCH_TIMEOUT = 60
        monkeypatch.setattr(page_cache, "HANDOFF_SECONDS", 60)

    def test_identical_concurrent_searches_make_one_engine_query(self, engine, lock_waiters):
        # The one query ends only once the nine other searches wait for it.
        engine.hold = lambda: lock_waiters.wait_for(9)
        results = []

        def search():
            results.append(selectors.search_listings(SearchParams(q="lamp")))

        threads = [threading.Thread(target=search) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert engine.calls == 1
        assert len(results) == 10
        assert all(result == results[0] for result in results)

    def test_identical_concurrent_searches_without_results_make_one_engine_query(
        self, engine, lock_waiters
    ):
        # Nothing is called zyxw. The one query ends only once the five others wait for it.
        engine.hold = lambda: lock_waiters.wait_for(5)
        results = []

        def search():
            results.append(selectors.search_listings(SearchParams(q="zyxw")))

        threads = [threading.Thread(target=search) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert engine.calls == 1
        assert [result["total"] for result in results] == [0] * 6
        selectors.search_listings(SearchParams(q="zyxw"))  # later: asks the engine again
        assert engine.calls == 2

    def test_waiters_wait_for_a_search_slower_than_the_generic_lock_wait(
        self, engine, settings, lock_waiters
    ):
        settings.CACHE_LOCK_WAIT_SECONDS = 0.05  # home/detail would give up here

        def slower_than_the_generic_wait():
            lock_waiters.wait_for(3)
            time.sleep(settings.CACHE_LOCK_WAIT_SECONDS * 4)  # a stimulus, not a measurement

        engine.hold = slower_than_the_generic_wait
        threads = [
            threading.Thread(target=selectors.search_listings, args=(SearchParams(q="lamp"),))
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert engine.calls == 1


class SearchCacheInvalidationTest:
    def test_search_invalidation_drops_every_cached_search(self, api, engine):
        engine.index.add(a_listing(id=2, title="Oak chair"))
        clock = {"now": 0.0}
        later = SearchInvalidation(1.5, clock=lambda: clock["now"])
        api.get(URL, {"q": "lamp"})
        api.get(URL, {"q": "chair", "sort": "hot"})
        later.batch_seen()
        clock["now"] = 1.5
        assert later.run_if_due() is True
        api.get(URL, {"q": "lamp"})
        api.get(URL, {"q": "chair", "sort": "hot"})
        page_cache.wait_for_background_refreshes()
        assert engine.calls == 4

    def test_previous_copy_is_served_while_the_invalidated_page_is_refreshed(self, api, engine):
        api.get(URL, {"q": "lamp"})
        page_cache.invalidate(page_cache.SEARCH)
        replace_lamp(engine)
        gate = gate_engine(engine)
        # Answered while the engine cannot answer: no waiting for it.
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 1
        assert cache.get(entry_key(SearchParams(q="lamp"))) is None  # not refreshed yet
        gate.set()
        page_cache.wait_for_background_refreshes(GATE_SECONDS)
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 2
        assert engine.calls == 2

    def test_without_a_previous_copy_an_invalidated_page_is_a_miss(self, api, engine):
        api.get(URL, {"q": "lamp"})
        page_cache.invalidate(page_cache.SEARCH)
        page_cache.invalidate(page_cache.SEARCH)  # twice: nothing cached in between
        replace_lamp(engine)
        assert api.get(URL, {"q": "lamp"}).json()["results"][0]["id"] == 2

    def test_refresh_that_finds_nothing_drops_the_previous_copy(self, api, engine):
        api.get(URL, {"q": "lamp"})
        page_cache.invalidate(page_cache.SEARCH)
        engine.index.remove(1)  # its only listing was sold
        api.get(URL, {"q": "lamp"})  # the previous copy, one last time
        page_cache.wait_for_background_refreshes()
        assert api.get(URL, {"q": "lamp"}).json()["total"] == 0
        assert api.get(URL, {"q": "lamp"}).json()["total"] == 0
        assert engine.calls == 4  # the refresh, then live each time (never cached)

    def test_searches_are_not_dropped_on_arrival_before_the_engine_has_the_change(
        self, api, engine
    ):
        api.get(URL, {"q": "lamp"})
        invalidate_listings({42})
        api.get(URL, {"q": "lamp"})
        assert engine.calls == 1

    def test_creating_a_listing_does_not_drop_searches_before_it_is_indexed(self, api, engine):
        api.get(URL, {"q": "lamp"})
        page_cache.invalidate_listing(42)
        api.get(URL, {"q": "lamp"})
        assert engine.calls == 1

    def test_search_invalidation_waits_its_delay_and_leaves_home_alone(self, api, engine):
        clock = {"now": 100.0}
        later = SearchInvalidation(2.0, clock=lambda: clock["now"])
        home_key = page_cache.current_key(page_cache.HOME)
        api.get(URL, {"q": "lamp"})
        later.batch_seen()
        clock["now"] = 101.0
        assert later.run_if_due() is False
        api.get(URL, {"q": "lamp"})
        clock["now"] = 102.0
        assert later.run_if_due() is True
        api.get(URL, {"q": "lamp"})
        page_cache.wait_for_background_refreshes()
        assert engine.calls == 2
        assert page_cache.current_key(page_cache.HOME) == home_key


class SearchInvalidationTest:
    def make(self, delay=2.0):
        clock = {"now": 0.0}
        return SearchInvalidation(delay, clock=lambda: clock["now"]), clock

    def generation(self):
        return page_cache.current_key(page_cache.SEARCH)

    def test_nothing_is_due_without_a_batch(self):
        later, _ = self.make()
        before = self.generation()
        assert later.seconds_until_due() is None
        assert later.run_if_due() is False
        assert self.generation() == before

    def test_runs_once_delay_after_a_batch(self):
        later, clock = self.make()
        later.batch_seen()
        clock["now"] = 0.5
        assert later.seconds_until_due() == pytest.approx(1.5)
        clock["now"] = 2.0
        assert later.run_if_due() is True
        assert later.seconds_until_due() is None
        assert later.run_if_due() is False

    def test_batch_during_the_wait_gets_its_own_later_run(self):
        later, clock = self.make()
        later.batch_seen()
        clock["now"] = 1.5
        later.batch_seen()
        clock["now"] = 2.0
        assert later.run_if_due() is True
        assert later.seconds_until_due() == pytest.approx(1.5)
        clock["now"] = 3.5
        assert later.run_if_due() is True
        assert later.seconds_until_due() is None

    def test_steady_stream_still_runs_every_delay(self):
        later, clock = self.make()
        runs = 0
        for step in range(100):  # a batch every 0.1 s for 10 s
            clock["now"] = step / 10
            later.batch_seen()
            runs += later.run_if_due()
        assert runs >= 4

    def test_zero_delay_runs_at_once(self):
        later, _ = self.make(delay=0)
        before = self.generation()
        later.batch_seen()
        assert later.seconds_until_due() == 0
        assert later.run_if_due() is True
        assert self.generation() != before


class SearchCacheRedisDownTest:
    def test_searches_run_uncached_without_waiting_when_redis_is_unreachable(
        self, api, engine, sleeps_of_this_thread
    ):
        with override_settings(CACHES=REDIS_DOWN_CACHES):
            for _ in range(3):
                response = api.get(URL, {"q": "lamp"})
                assert response.status_code == 200
                assert response.json()["results"][0]["id"] == 1
            invalidate_listings({1})  # the invalidator does not fail either
        assert engine.calls == 3
        assert sleeps_of_this_thread == []  # no lock wait: nobody can hold a lock

    def test_cache_disabled_searches_every_time(self, api, engine):
        dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
        with override_settings(CACHES=dummy):
            api.get(URL, {"q": "lamp", "min_price": "1"})
            api.get(URL, {"q": "lamp", "min_price": "1"})
        assert engine.calls == 2
