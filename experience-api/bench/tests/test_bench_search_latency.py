"""The search benchmark's wrk load generator, against a local stub server (no stack)."""

import contextlib
import random
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest

from bench import bench_search_latency as bench
from testsupport import serving


def cold_query(rng: random.Random) -> dict:
    return bench.bust_cache(bench.random_query(rng), rng)


class StubSearch(BaseHTTPRequestHandler):
    """Answers 200, or 503 for a search whose ``q`` is ``camera``; records every path."""

    paths: list[str] = []
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802 - http.server's name
        with self.lock:
            self.paths.append(self.path)
        query = parse_qs(urlparse(self.path).query)
        status = 503 if query.get("q") == ["camera"] else 200
        body = b'{"results": []}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

    def handle(self):
        # wrk closes its connections mid-request when it stops: not an error here.
        with contextlib.suppress(ConnectionError):
            super().handle()


@pytest.fixture
def stub_url():
    StubSearch.paths = []
    with serving(StubSearch) as base:
        yield base + "/api/v1/search"


class WrkPathsTest:
    def test_cold_paths_are_distinct_searches_of_the_mix(self):
        paths = bench.wrk_paths(
            "http://127.0.0.1:1/api/v1/search", 5000, cold_query, 1, distinct=True
        )
        assert len(paths) == len(set(paths)) == 5000
        assert all(path.startswith("/api/v1/search?") for path in paths)
        assert all("max_price=" in path for path in paths)

    def test_same_seed_same_paths(self):
        def draw():
            return bench.wrk_paths("http://h/s", 50, cold_query, 7, distinct=True)

        assert draw() == draw()

    def test_warm_paths_repeat_the_popular_queries(self):
        def warm(rng):
            return rng.choice(bench.WARM_QUERIES)

        paths = bench.wrk_paths("http://h/api/v1/search", 500, warm, 1, distinct=False)
        assert len(paths) == 500
        assert len(set(paths)) <= len(bench.WARM_QUERIES)


class WrkOutcomesTest:
    def test_all_ok(self):
        raw = {"requests": 10, "non_200": 0, "statuses": "", "connect": 0, "read": 0}
        raw |= {"write": 0, "timeout": 0}
        assert bench.wrk_outcomes(raw) == {"200": 10}

    def test_statuses_and_socket_errors_are_counted_apart(self):
        raw = {"requests": 10, "non_200": 3, "statuses": "503 503 429 ", "connect": 0}
        raw |= {"read": 0, "write": 0, "timeout": 2}
        assert bench.wrk_outcomes(raw) == {"200": 7, "503": 2, "429": 1, "socket timeout": 2}


class RunPhaseWrkTest:
    def test_every_request_is_a_distinct_path_and_errors_are_reported(self, stub_url, monkeypatch):
        # The stub answers far faster than a search: enough paths for it.
        monkeypatch.setattr(bench, "WRK_PATHS_PER_SECOND", 30000)
        result = bench.run_phase_wrk(stub_url, 4, 2, cold_query, seed=3, distinct=True)
        sent = StubSearch.paths
        assert result["load_generator"] == "wrk"
        # Requests still in flight when wrk stops reach the server but are not counted.
        assert result["requests"] <= len(sent) <= result["requests"] + 4
        assert len(set(sent)) == len(sent)
        assert result["distinct_queries"] == result["requests"]
        failed = sum(1 for path in sent if parse_qs(urlparse(path).query).get("q") == ["camera"])
        assert set(result["errors_by_status"]) == {"503"}
        assert failed - 4 <= result["errors_by_status"]["503"] <= failed
        assert result["ok"] + result["errors_by_status"]["503"] == result["requests"]
        assert result["p99_ms"] >= result["p50_ms"] > 0

    def test_paths_wrap_when_the_server_outruns_them_and_it_says_so(self, stub_url, monkeypatch):
        monkeypatch.setattr(bench, "WRK_PATHS_PER_SECOND", 10)
        result = bench.run_phase_wrk(stub_url, 2, 1, cold_query, seed=3, distinct=True)
        assert result["requests"] > 1010
        assert result["distinct_queries"] == 1010
