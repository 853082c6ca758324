"""summarize.py: percentiles, .jtl parsing (multi-line failure messages), tables."""

from __future__ import annotations

import json

import summarize

HEADER = (
    "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,"
    "failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n"
)


def _row(ts, elapsed, label, code="200", success="true", failure=""):
    return (
        f'{ts},{elapsed},{label},{code},OK,Browsers 1-1,text,{success},"{failure}",'
        f"100,50,1,1,http://127.0.0.1:8000/,{elapsed},0,0\n"
    )


def _jtl(tmp_path, rows):
    path = tmp_path / "results.jtl"
    path.write_text(HEADER + "".join(rows))
    return path


class PercentileTest:
    def test_nearest_rank_of_one_to_hundred_picks_the_rank(self):
        values = [float(v) for v in range(1, 101)]
        assert summarize.percentile(values, 50) == 50
        assert summarize.percentile(values, 95) == 95
        assert summarize.percentile(values, 99) == 99

    def test_empty_list_gives_zero(self):
        assert summarize.percentile([], 99) == 0.0

    def test_single_value_is_every_percentile(self):
        assert summarize.percentile([7.0], 1) == 7.0
        assert summarize.percentile([7.0], 99) == 7.0


class SummarizeTest:
    def test_counts_errors_and_throughput_over_the_wall_clock_window(self, tmp_path):
        rows = [_row(1_000_000 + i * 100, 10, "home") for i in range(9)]
        rows.append(
            _row(1_000_900, 100, "search", "503", "false", "Test failed: code\nexpected 200")
        )
        summary = summarize.summarize(_jtl(tmp_path, rows), "run")

        assert summary.overall.samples == 10
        assert summary.overall.errors == 1
        assert summary.overall.error_pct == 10.0
        # first start 1_000_000, last end 1_001_000: one second
        assert summary.overall.window_s == 1.0
        assert summary.overall.throughput_rps == 10.0
        assert summary.labels["search"].errors == 1
        assert list(summary.errors_by_cause) == ["search: 503 Test failed: code"]

    def test_transport_errors_report_the_response_message(self, tmp_path):
        row = (
            "1000,5,home,Non HTTP response code: java.net.ConnectException,"
            '"Non HTTP response message: Connection refused",Browsers 1-1,text,false,"",'
            "0,0,1,1,http://127.0.0.1:8000/,0,0,0\n"
        )
        summary = summarize.summarize(_jtl(tmp_path, [row]), "run")
        cause = next(iter(summary.errors_by_cause))
        assert cause.startswith("home: no response Non HTTP response message: Connection refused")

    def test_truncated_last_line_is_ignored(self, tmp_path):
        path = _jtl(tmp_path, [_row(1000, 5, "home")])
        path.write_text(path.read_text() + "1001,5,ho")
        assert summarize.summarize(path, "run").overall.samples == 1


class CommandLineTest:
    def test_run_writes_text_and_json_then_table_compares_to_baseline(self, tmp_path, capsys):
        fast = tmp_path / "fast"
        slow = tmp_path / "slow"
        fast.mkdir()
        slow.mkdir()
        (fast / "results.jtl").write_text(
            HEADER + "".join(_row(1000 + i * 10, 5, "home") for i in range(101))
        )
        (slow / "results.jtl").write_text(
            HEADER + "".join(_row(1000 + i * 20, 5, "home") for i in range(51))
        )
        for folder, name in ((fast, "fast"), (slow, "slow")):
            code = summarize.main(
                ["run", str(folder / "results.jtl"), "--name", name, "--meta", "cache=on"]
            )
            assert code == 0
            assert "throughput" in (folder / "summary.txt").read_text()
            assert json.loads((folder / "summary.json").read_text())["meta"]["cache"] == "on"
        capsys.readouterr()

        out = tmp_path / "scaling.md"
        summarize.main(
            ["table", str(fast / "summary.json"), str(slow / "summary.json"),
             "--baseline", "fast", "--out", str(out)]
        )  # fmt: skip
        table = out.read_text()
        assert "| fast |" in table and "1.00x" in table
        assert "| slow |" in table and "0.50x" in table

    def test_missing_jtl_fails(self, tmp_path, capsys):
        assert summarize.main(["run", str(tmp_path / "none.jtl"), "--name", "x"]) == 1
