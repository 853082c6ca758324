#!/usr/bin/env python
"""Search latency under load: N concurrent clients over varied queries for a fixed time.

    ../.venv/bin/python bench/bench_search_latency.py [--url URL] [--clients 20] [--duration 20]

Talks to the experience API directly (loopback only, default
http://127.0.0.1:8200/api/v1/search) and prints p50/p95/p99 latency, requests/s and
errors. Set CACHE_ENABLED=false on the service for uncached numbers (search itself is
never cached).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import socket
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

import requests

WORDS = [
    "lamp",
    "bike",
    "camera",
    "chair",
    "guitar",
    "desk",
    "coat",
    "mugs",
    "kindle",
    "oak",
    "leather",
    "vintage",
    "sony",
    "table",
    "book",
    "skillet",
]
TYPOS = ["lmap", "bikke", "camra", "chiar", "guitr", "vintge", "leathr"]
SORTS = ["relevance", "hot", "newest", "price_asc", "price_desc"]


def random_query(rng: random.Random) -> dict:
    kind = rng.random()
    params: dict = {"sort": rng.choice(SORTS)}
    if kind < 0.45:
        params["q"] = rng.choice(WORDS)
    elif kind < 0.6:
        params["q"] = " ".join(rng.sample(WORDS, 2))
    elif kind < 0.75:
        params["q"] = rng.choice(TYPOS)
    elif kind < 0.85:
        params["q"] = rng.choice(WORDS)[:3]  # as-you-type prefix
    # else: browse everything (empty q)
    if rng.random() < 0.3:
        low = rng.choice([0, 10, 50, 100])
        params["min_price"] = str(low)
        params["max_price"] = str(low + rng.choice([50, 200, 1000]))
    if rng.random() < 0.2:
        params["page"] = rng.randint(1, 3)
    return params


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None)
        )
    except (socket.gaierror, ValueError):
        return False


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8200/api/v1/search")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    if not is_loopback(args.url):
        parser.error("refusing to load-test a non-loopback address")

    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + args.duration

    def client(seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        own, own_errors = [], {}
        while time.monotonic() < stop_at:
            params = random_query(rng)
            started = time.perf_counter()
            try:
                response = session.get(args.url, params=params, timeout=10)
                outcome = str(response.status_code) if response.status_code != 200 else None
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            elapsed = time.perf_counter() - started
            if outcome:
                own_errors[outcome] = own_errors.get(outcome, 0) + 1
            else:
                own.append(elapsed)
        with lock:
            latencies.extend(own)
            for key, count in own_errors.items():
                errors[key] = errors.get(key, 0) + count

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started

    latencies.sort()
    result = {
        "clients": args.clients,
        "duration_s": round(wall, 1),
        "requests_ok": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"search latency, {args.clients} concurrent clients, {result['duration_s']} s "
            f"against {args.url}"
        )
        print(f"  requests ok: {result['requests_ok']}  errors: {errors or 0}")
        print(f"  throughput : {result['req_per_s']} req/s")
        print(
            f"  latency    : p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  "
            f"p99 {result['p99_ms']} ms"
        )
    return 0 if latencies and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
