#!/usr/bin/env python3
"""Engine benchmark: search, freshness, indexer, start-up time and memory in one table.

    .venv/bin/python ops/stack.py run -- .venv/bin/python ops/bench_engines.py
        [--clients 20] [--duration 20] [--listings 50] [--backlog 10000] [--restart-stack]

Loopback only, bounded (every step runs under a timeout). It runs, against the running
native stack:

1. uncached search through HAProxy (``$PUBLIC_URL/api/v1/search``) at ``--clients``
   concurrent clients with distinct queries (experience-api/bench/bench_search_latency.py,
   cold phase: each query a cache miss, so each one costs an Elasticsearch query; the
   load comes from wrk, after 3 s of unmeasured warm-up);
2. freshness (create -> searchable, over ``--listings`` listings) and indexer
   throughput on a ``--backlog`` of events (batch/bench/bench_search.py);
3. ``make up`` time from a stopped stack: ``--restart-stack`` stops the stack and times
   ``ops/stack.py up``; without it the time of the last start from a stopped stack, as
   recorded by ``stack.py up`` in ``var/run/up-timing.json``;
4. the resident memory of each engine (its supervised process tree).

A benchmark measures: it prints the numbers next to their targets and exits 0 whatever
they are; 2 only when it could not run (stack not answering).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
PY = str(ROOT / ".venv" / "bin" / "python")
ENGINES = ["postgres", "redis", "kafka", "search"]


def run_json(command: list[str], cwd: Path, limit: float) -> dict:
    """Run a benchmark that prints one JSON line last; its stderr passes through."""
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=limit, check=False
    )
    sys.stderr.write(result.stderr[-2000:])
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{command[1]} exited {result.returncode}: {result.stdout[-500:]}")
    return json.loads(lines[-1])


def supervised_pid(program: str) -> int | None:
    group = "infra" if program in ENGINES else "apps"
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "supervisorctl"),
            "-c",
            str(VAR / "run" / "supervisord.conf"),
            "pid",
            f"{group}:{program}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    text = result.stdout.strip()
    return int(text) if text.isdigit() and text != "0" else None


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MiB (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
        todo.extend(children.get(current, []))
    return round(total_kb / 1024, 1)


def time_make_up() -> dict:
    subprocess.run([PY, str(ROOT / "ops" / "stack.py"), "down"], check=True, timeout=300)
    started = time.monotonic()
    subprocess.run([PY, str(ROOT / "ops" / "stack.py"), "up"], check=True, timeout=900)
    return {"seconds": round(time.monotonic() - started, 1), "measured": "now"}


def recorded_make_up() -> dict:
    path = VAR / "run" / "up-timing.json"
    if not path.exists():
        return {"seconds": None, "measured": "never recorded (use --restart-stack)"}
    timing = json.loads(path.read_text())
    return {"seconds": timing["seconds"], "measured": f"last start, {timing['at']}"}


def row(name: str, value: str, target: str = "", ok: bool | None = None) -> str:
    mark = "" if ok is None else ("  ok" if ok else "  MISSED")
    return f"  {name:<44} {value:<34} {target}{mark}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--listings", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=10000)
    parser.add_argument("--restart-stack", action="store_true", help="time make up from stopped")
    args = parser.parse_args()
    public = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000")
    try:
        urllib.request.urlopen(f"{public}/healthz", timeout=5)  # noqa: S310 (loopback)
    except OSError as exc:
        print(f"the stack is not answering at {public} (make up): {exc}", file=sys.stderr)
        return 2

    up = time_make_up() if args.restart_stack else recorded_make_up()
    search = run_json(
        [
            PY,
            "bench/bench_search_latency.py",
            "--url",
            f"{public}/api/v1/search",
            "--clients",
            str(args.clients),
            "--duration",
            str(args.duration),
            "--phases",
            "cold",
            "--json",
        ],
        ROOT / "experience-api",
        args.duration + 120,
    )["phases"]["cold"]
    pipeline = run_json(
        [
            PY,
            "bench/bench_search.py",
            "--listings",
            str(args.listings),
            "--backlog",
            str(args.backlog),
            "--json",
        ],
        ROOT / "batch",
        900,
    )
    memory = {name: supervised_pid(name) for name in ENGINES}

    fresh, indexer = pipeline["freshness"], pipeline["throughput"]
    load = os.getloadavg()
    print(
        f"\n== engine benchmark: {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}, {public} =="
    )
    print(
        row(
            f"uncached search via HAProxy, {args.clients} clients",
            f"{search['req_per_s']} req/s, errors {search['error_pct']}%",
            ">= 300 req/s, no errors",
            search["req_per_s"] >= 300 and not search["error_pct"],
        )
    )
    print(
        row(
            "  latency",
            f"p50 {search['p50_ms']} ms, p99 {search['p99_ms']} ms",
            "p99 < 150 ms",
            search["p99_ms"] is not None and search["p99_ms"] < 150,
        )
    )
    print(
        row(
            f"freshness, create -> searchable ({fresh['listings']} listings)",
            f"p50 {fresh['p50_s']} s, p95 {fresh['p95_s']} s, missed {fresh['missed']}",
            "p95 < 1.5 s",
            fresh["p95_s"] is not None and fresh["p95_s"] < 1.5 and not fresh["missed"],
        )
    )
    print(
        row(
            f"indexer, {indexer['backlog']}-event backlog",
            f"{indexer['listings_per_s_steady']}/s steady, "
            f"{indexer['listings_per_s_including_join']}/s with join",
            f"{indexer['indexed']} indexed",
            indexer["indexed"] == indexer["backlog"],
        )
    )
    print(row("make up from a stopped stack", f"{up['seconds']} s", up["measured"]))
    for name, pid in memory.items():
        print(row(f"resident memory: {name}", f"{tree_rss_mb(pid)} MiB" if pid else "not running"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
