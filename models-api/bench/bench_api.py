#!/usr/bin/env python
"""Benchmark the hot read endpoints of a running models-api (loopback only).

For each scenario (newest, most popular, listing detail) N threads, each with its own
keep-alive session, send requests back to back for a bounded duration; the script then
prints requests/s, p50, p90 and p99 latency and the error count.

    SERVICE_TOKEN=... python models-api/bench/bench_api.py            # 20 clients, 10 s each
    python models-api/bench/bench_api.py --url http://127.0.0.1:8390 --duration 5 --json

Not a test: numbers depend on the machine. Only loopback URLs are accepted, so it can
never be pointed at someone else's server by mistake.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

HOME_PAGE_SIZE = 12


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit(f"cannot resolve {host!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise SystemExit(f"refusing to benchmark {url}: only loopback addresses are allowed")


def session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers.update({"X-Service-Token": token, "Accept": "application/json"})
    return s


def listing_ids(base: str, token: str, count: int = 100) -> list[int]:
    response = session(token).get(
        f"{base}/api/v1/listings", params={"page_size": count, "status": "active"}, timeout=10
    )
    response.raise_for_status()
    ids = [item["id"] for item in response.json()["results"]]
    if not ids:
        raise SystemExit("no listings to read: seed the database first (seed_demo_data)")
    return ids


def run_scenario(
    name: str, make_url, *, token: str, clients: int, duration: float
) -> tuple[Outcome, float]:
    outcomes = [Outcome() for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def worker(index: int) -> None:
        outcome, s, rng = outcomes[index], session(token), random.Random(index)
        start_gate.wait()
        deadline = deadline_box[0]
        while time.perf_counter() < deadline:
            url = make_url(rng)
            started = time.perf_counter()
            try:
                response = s.get(url, timeout=10)
                elapsed = time.perf_counter() - started
                outcome.statuses[response.status_code] = (
                    outcome.statuses.get(response.status_code, 0) + 1
                )
                if response.status_code == 200:
                    outcome.latencies.append(elapsed)
                else:
                    outcome.errors += 1
            except requests.RequestException:
                outcome.errors += 1
        s.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline_box.append(began + duration)
    start_gate.wait()
    for thread in threads:
        thread.join(duration + 30)
    wall = time.perf_counter() - began
    merged = Outcome()
    for outcome in outcomes:
        merged.latencies.extend(outcome.latencies)
        merged.errors += outcome.errors
        for status, n in outcome.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + n
    return merged, wall


def summarize(name: str, outcome: Outcome, wall: float) -> dict:
    values = sorted(outcome.latencies)
    return {
        "scenario": name,
        "requests": len(values) + outcome.errors,
        "ok": len(values),
        "errors": outcome.errors,
        "requests_per_s": round(len(values) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(values, 0.50) * 1000, 1),
        "p90_ms": round(percentile(values, 0.90) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else float("nan"),
        "statuses": outcome.statuses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("MODELS_API_URL", "http://127.0.0.1:8300"))
    parser.add_argument("--token", default=os.environ.get("SERVICE_TOKEN", ""))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument(
        "--scenarios", default="newest,popular,detail", help="comma list of newest,popular,detail"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line per scenario")
    args = parser.parse_args(argv)

    base = args.url.rstrip("/")
    require_loopback(base)
    if not args.token:
        raise SystemExit("set SERVICE_TOKEN (or --token): models-api refuses calls without it")
    if not 1 <= args.clients <= 200 or not 0 < args.duration <= 120:
        raise SystemExit("keep it bounded: 1-200 clients, at most 120 s per scenario")

    ids = listing_ids(base, args.token)
    home = f"{base}/api/v1/listings?status=active&page_size={HOME_PAGE_SIZE}&ordering="
    scenarios = {
        "newest": lambda rng: home + "newest",
        "popular": lambda rng: home + "most_viewed",
        "detail": lambda rng: f"{base}/api/v1/listings/{rng.choice(ids)}",
    }
    chosen = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(chosen) - set(scenarios)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")

    if not args.json:
        print(f"models-api benchmark: {base}, {args.clients} clients, {args.duration:g} s each")
        print(
            f"{'scenario':<10} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}"
        )
    failed = False
    for name in chosen:
        outcome, wall = run_scenario(
            name, scenarios[name], token=args.token, clients=args.clients, duration=args.duration
        )
        summary = summarize(name, outcome, wall)
        failed = failed or summary["errors"] > 0
        if args.json:
            print(json.dumps(summary))
        else:
            print(
                f"{name:<10} {summary['requests_per_s']:>9} {summary['p50_ms']:>8} "
                f"{summary['p90_ms']:>8} {summary['p99_ms']:>8} {summary['errors']:>7}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
