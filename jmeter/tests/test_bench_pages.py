"""bench_pages: wrk's result line, HAProxy's cache counters, the table and its verdicts."""

from __future__ import annotations

import pytest

import bench_pages as bp
from benchlib import BenchError

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/
  2 threads and 50 connections
WRK-RESULT {"requests": 20000, "duration_us": 10000000, "bytes": 1, "connect": 0, "read": 1, \
"write": 0, "status": 2, "timeout": 3, "p50_us": 2500, "p90_us": 9000, "p99_us": 45000, \
"max_us": 90000}
"""

STATS = """# pxname,svname,qcur,cache_lookups,cache_hits,status
public,FRONTEND,0,0,0,OPEN
web,web1,0,,,UP
web,BACKEND,0,120,100,UP
"""


def result(name: str, kind: str, rps: float, p99: float = 10.0, errors: int = 0, path="/"):
    return bp.Result(
        target=bp.Target(name, path, kind=kind),
        requests=int(rps * 10),
        duration_s=10.0,
        p50_ms=1.0,
        p99_ms=p99,
        socket_errors=errors,
        status_errors=0,
    )


class WrkOutputTest:
    def test_result_line_becomes_a_result(self):
        raw = bp.parse_wrk_output(WRK_OUTPUT)
        parsed = bp.result_from_wrk(bp.Target("home", "/"), raw)
        assert parsed.rps == 2000
        assert (parsed.p50_ms, parsed.p99_ms) == (2.5, 45.0)
        assert parsed.socket_errors == 4 and parsed.status_errors == 2 and parsed.errors == 6

    def test_missing_result_line_is_an_error(self):
        with pytest.raises(BenchError):
            bp.parse_wrk_output("wrk: connection refused")


class CacheCountersTest:
    def test_read_from_backend_web(self):
        assert bp.cache_counters(STATS) == (100, 120)

    def test_absent_backend_counts_nothing(self):
        assert bp.cache_counters("# pxname,svname\n") == (0, 0)
        assert bp.cache_counters("") == (0, 0)


class TableTest:
    def test_ratios_and_verdicts(self):
        rows = [
            result("/healthz", "reference", 1000),
            result("anonymous /", "anonymous", 900, p99=50),
            result("anonymous slow", "anonymous", 900, p99=150),
            result("logged in /", "logged-in", 350),
            result("logged in /listings/1/", "logged-in", 200),
            result("logged in search", "logged-in", 100, path="/search/?q=x"),
        ]
        table = bp.render_table(rows, reference_rps=1000).splitlines()
        assert "| anonymous / | 900 | 0.90 |" in table[3]
        assert table[3].endswith("| met (>= 0.80, p99 < 100 ms) |")
        assert "MISSED" in table[4]  # fast enough, but p99 over 100 ms
        assert table[5].endswith("| met (>= 0.30) |")
        assert "MISSED (>= 0.30)" in table[6]
        assert table[7].endswith("| (no target) |")

    def test_errors_miss_the_target(self):
        row = result("anonymous /", "anonymous", 2000, errors=1)
        bp.render_table([row], reference_rps=1000)
        assert bp.target_verdict(row).startswith("MISSED")

    def test_share_assembled_at_the_edge_is_shown_for_logged_in_pages_only(self):
        anonymous = result("anonymous /", "anonymous", 900)
        member = bp.Result(
            target=bp.Target("logged in /", "/", logged_in=True, kind="logged-in"),
            requests=4000,
            duration_s=10.0,
            p50_ms=1.0,
            p99_ms=10.0,
            socket_errors=0,
            status_errors=0,
            assembled=3000,
        )
        table = bp.render_table([anonymous, member], reference_rps=1000).splitlines()
        assert "| assembled at the edge |" in table[0]
        assert table[2].split(" | ")[7] == "-"
        assert table[3].split(" | ")[7] == "75%"
