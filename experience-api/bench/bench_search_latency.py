#!/usr/bin/env python
"""Search latency under load: N concurrent clients for a fixed time, cold and warm cache.

    ../.venv/bin/python bench/bench_search_latency.py [--url URL] [--clients 20]
        [--duration 20] [--phases cold,warm] [--no-cache-busting] [--json]

Talks to the experience API directly (loopback only, default
http://127.0.0.1:8200/api/v1/search). Two phases, each ``--duration`` seconds:

cold
    varied realistic queries (words, typos, prefixes, browsing, price ranges, sorts,
    pages), each with a random ``max_price`` above every listing's price (or a few
    random cents added to its own), so every request is a cache miss and costs one
    engine query: the engine's capacity. ``--no-cache-busting`` leaves the queries
    as they are (use it with ``CACHE_ENABLED=false`` on the service, or to see the hit
    rate a varied mix gets on its own).
warm
    the same kind of queries drawn from a fixed list of popular ones, repeated by
    every client: after the first round nearly all are cache hits. One of them finds
    nothing (never cached: each request, or each group of identical concurrent ones,
    asks the engine), as some popular searches do.

Prints, per phase: requests/s, latency p50/p95/p99 (all responses, and 200s only),
and errors by HTTP status or exception as a percentage. A benchmark measures: it
exits 0 whatever the numbers, 2 only when it could not run at all (service
unreachable, bad arguments).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import socket
import sys
import threading
import time
from collections import Counter
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
# Above every listing price (the API caps prices at 1,000,000): the filter changes the
# cache key, not the results.
BUSTING_MAX_PRICE = (100_000_00, 1_000_000_00)  # in cents

# Popular searches of the warm phase: what many people type at once. All but the last
# find listings in the demo data; the last finds nothing, and a page without results
# is never cached, so 1 request in len(WARM_QUERIES) costs an engine query.
POPULAR_WORDS = ["lamp", "bike", "camera", "chair", "guitar", "desk", "coat", "table"]
NO_RESULTS_QUERY = {"q": "qzxvk"}
WARM_QUERIES: list[dict] = (
    [{"q": word} for word in WORDS if word != "mugs"]
    + [{"q": word, "sort": "hot"} for word in POPULAR_WORDS]
    + [{"q": word, "sort": "price_asc"} for word in POPULAR_WORDS[:4]]
    + [{"q": "vintage lamp"}, {"q": "oak table"}, {"q": "leather coat"}, {"q": "cam"}]
    + [{"q": "lmap"}, {"q": "bikke"}]
    + [{}, {"sort": "newest"}, {"sort": "hot"}, {"sort": "newest", "page": 2}]
    + [{"q": "bike", "min_price": "100", "max_price": "1000"}, {"q": "desk", "page": 2}]
    + [NO_RESULTS_QUERY]
)


def random_query(rng: random.Random) -> dict:
    """One varied, realistic search (the cold phase's mix)."""
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


def bust_cache(params: dict, rng: random.Random) -> dict:
    """``params`` with a random price ceiling: a key no other request uses."""
    busted = dict(params)
    if "max_price" in busted:
        cents = int(busted["max_price"]) * 100 + rng.randint(1, 99)
    else:
        cents = rng.randint(*BUSTING_MAX_PRICE)
    busted["max_price"] = f"{cents // 100}.{cents % 100:02d}"
    return busted


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None)
        )
    except (socket.gaierror, ValueError):
        return False


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def run_phase(url: str, clients: int, duration: float, next_query, *, seed: int) -> dict:
    """``clients`` threads send ``next_query(rng)`` searches back to back for ``duration`` s."""
    all_latencies: list[float] = []
    ok_latencies: list[float] = []
    outcomes: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        session = requests.Session()
        own_all, own_ok, own_outcomes = [], [], Counter()
        while time.monotonic() < stop_at:
            params = next_query(rng)
            started = time.perf_counter()
            try:
                response = session.get(url, params=params, timeout=10)
                outcome = str(response.status_code)
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            elapsed = time.perf_counter() - started
            own_outcomes[outcome] += 1
            own_all.append(elapsed)
            if outcome == "200":
                own_ok.append(elapsed)
        with lock:
            all_latencies.extend(own_all)
            ok_latencies.extend(own_ok)
            outcomes.update(own_outcomes)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started

    all_latencies.sort()
    ok_latencies.sort()
    total = sum(outcomes.values())
    errors = {key: count for key, count in outcomes.items() if key != "200"}
    return {
        "duration_s": round(wall, 1),
        "requests": total,
        "ok": outcomes.get("200", 0),
        "req_per_s": round(total / wall, 1) if wall else 0.0,
        "ok_per_s": round(outcomes.get("200", 0) / wall, 1) if wall else 0.0,
        "error_pct": round(100 * sum(errors.values()) / total, 2) if total else None,
        "errors_pct_by_status": {
            key: round(100 * count / total, 2) for key, count in sorted(errors.items())
        },
        "errors_by_status": dict(sorted(errors.items())),
        "p50_ms": ms(percentile(all_latencies, 0.50)),
        "p95_ms": ms(percentile(all_latencies, 0.95)),
        "p99_ms": ms(percentile(all_latencies, 0.99)),
        "ok_p50_ms": ms(percentile(ok_latencies, 0.50)),
        "ok_p95_ms": ms(percentile(ok_latencies, 0.95)),
        "ok_p99_ms": ms(percentile(ok_latencies, 0.99)),
    }


def reachable(url: str) -> str | None:
    """None when the service answers at all (any status), else why not."""
    try:
        requests.get(url, params={"q": "lamp"}, timeout=10)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def print_phase(name: str, description: str, result: dict) -> None:
    print(f"\n[{name}] {description}")
    print(f"  requests   : {result['requests']} in {result['duration_s']} s ({result['ok']} ok)")
    print(f"  throughput : {result['req_per_s']} req/s ({result['ok_per_s']} ok/s)")
    print(
        f"  latency    : p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  "
        f"p99 {result['p99_ms']} ms (all responses)"
    )
    print(
        f"               p50 {result['ok_p50_ms']} ms  p95 {result['ok_p95_ms']} ms  "
        f"p99 {result['ok_p99_ms']} ms (200s only)"
    )
    by_status = (
        ", ".join(
            f"{key}: {result['errors_by_status'][key]} ({pct}%)"
            for key, pct in result["errors_pct_by_status"].items()
        )
        or "none"
    )
    print(f"  errors     : {result['error_pct']}%  [{by_status}]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8200/api/v1/search")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument(
        "--phases",
        default="cold,warm",
        help="comma-separated, in order: cold (cache misses), warm (popular repeats)",
    )
    parser.add_argument(
        "--no-cache-busting",
        dest="cache_busting",
        action="store_false",
        help="cold phase: send the varied queries without the random price ceiling",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    phases = [phase.strip() for phase in args.phases.split(",") if phase.strip()]
    if not phases or set(phases) - {"cold", "warm"}:
        parser.error("--phases takes cold and/or warm")
    if args.clients < 1 or args.duration <= 0:
        parser.error("--clients and --duration must be positive")
    if not is_loopback(args.url):
        parser.error("refusing to load-test a non-loopback address")

    problem = reachable(args.url)
    if problem:
        print(f"cannot reach {args.url} (is the stack up? make up): {problem}", file=sys.stderr)
        return 2

    def cold_query(rng: random.Random) -> dict:
        params = random_query(rng)
        return bust_cache(params, rng) if args.cache_busting else params

    def warm_query(rng: random.Random) -> dict:
        return rng.choice(WARM_QUERIES)

    plan = {
        "cold": (
            cold_query,
            "varied queries, "
            + ("each a cache miss (random price ceiling)" if args.cache_busting else "as sent"),
        ),
        "warm": (
            warm_query,
            f"{len(WARM_QUERIES)} popular queries repeated by every client "
            "(1 without results, never cached)",
        ),
    }
    results = {}
    if not args.json:
        print(
            f"search latency, {args.clients} concurrent clients, {args.duration:g} s per phase, "
            f"against {args.url}"
        )
    for index, phase in enumerate(phases):
        next_query, description = plan[phase]
        results[phase] = run_phase(
            args.url, args.clients, args.duration, next_query, seed=args.seed + index
        )
        if not args.json:
            print_phase(phase, description, results[phase])
    if args.json:
        print(json.dumps({"clients": args.clients, "url": args.url, "phases": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
