#!/usr/bin/env python
"""Search latency under load: N concurrent clients for a fixed time, cold and warm cache.

    ../.venv/bin/python bench/bench_search_latency.py [--url URL] [--clients 20]
        [--duration 20] [--phases cold,warm] [--no-cache-busting] [--json]
        [--load-generator wrk|python] [--warmup 3]

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

The load comes from wrk (Debian package, ``make install``) when it is installed: the
queries of a phase are drawn beforehand (the same mix, one URL per request, distinct
across wrk's connections) and wrk's Lua script sends them in order over ``--clients``
keep-alive connections. wrk's event loop in C costs the 2-core machine a fraction of
what 20 Python client threads do (they took about 12% of it at 290 req/s, CPU the
services then lacked). ``--load-generator python`` keeps the threaded client.

Each phase is preceded by ``--warmup`` seconds of the same kind of load with other
queries, not measured: a service restarted a moment ago is still importing modules and
the engine's JIT compiling (the first seconds after a restart had a p99 up to 4x the
rest).

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
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode, urlparse

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


# Sends the prepared paths (one per line in args[1]) in turn: connection k of n sends
# lines k, k+n, k+2n, ... (each connection is one wrk "thread" state per OS thread, so
# the stride is per OS thread: wrk runs -t threads, each with its own script state).
WRK_SCRIPT = r"""
local threads, count = {}, 0
function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

local paths, position, stride = {}, 0, 1
non_200, statuses = 0, ""
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  stride = tonumber(args[2])
  position = tid
end

function request()
  local path = paths[(position % #paths) + 1]
  position = position + stride
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
    statuses = statuses .. status .. " "
  end
end

function done(summary, latency, requests)
  local non, codes = 0, ""
  for _, thread in ipairs(threads) do
    non = non + thread:get("non_200")
    codes = codes .. thread:get("statuses")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "non_200": %d, "statuses": "%s", "p50_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, non,
    codes, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
WRK_RESULT_MARK = "WRK-RESULT "
# Requests a phase can send at most, per second of it, before paths repeat (they would
# then hit the cache): well above what this machine serves.
WRK_PATHS_PER_SECOND = 3000


def wrk_paths(url: str, count: int, next_query, seed: int, *, distinct: bool) -> list[str]:
    """``count`` request paths (path + query string) of ``next_query``'s mix; with
    ``distinct``, no two alike (the cold phase: a repeat would be a cache hit)."""
    path = urlparse(url).path
    rng = random.Random(seed)
    paths: list[str] = []
    seen: set[str] = set()
    for _ in range(count * 2 if distinct else count):
        candidate = f"{path}?{urlencode(next_query(rng))}"
        if distinct and candidate in seen:
            continue
        seen.add(candidate)
        paths.append(candidate)
        if len(paths) == count:
            break
    return paths


def wrk_outcomes(raw: dict) -> Counter:
    """Outcomes by HTTP status or socket error kind, from the script's result line."""
    outcomes: Counter = Counter(raw["statuses"].split())
    for kind in ("connect", "read", "write", "timeout"):
        if raw[kind]:
            outcomes[f"socket {kind}"] += raw[kind]
    outcomes["200"] = max(0, raw["requests"] - raw["non_200"])
    return outcomes


def run_phase_wrk(
    url: str, clients: int, duration: float, next_query, *, seed: int, distinct: bool = False
) -> dict:
    """The phase with wrk: ``clients`` connections over 2 threads for ``duration`` s."""
    threads = min(2, clients)
    paths = wrk_paths(
        url, int(WRK_PATHS_PER_SECOND * duration) + 1000, next_query, seed, distinct=distinct
    )
    count = len(paths)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        paths_file, script = Path(folder) / "paths.txt", Path(folder) / "search.lua"
        paths_file.write_text("\n".join(paths) + "\n")
        script.write_text(WRK_SCRIPT)
        base = url[: len(url) - len(urlparse(url).path)] or url
        command = [
            "wrk", f"-t{threads}", f"-c{clients}", f"-d{duration:g}s", "--timeout", "10s",
            "-s", str(script), base + "/", "--", str(paths_file), str(threads),
        ]  # fmt: skip
        # A fixed command (wrk from the system's packages) on loopback arguments.
        output = subprocess.run(  # noqa: S603
            ["timeout", "--kill-after=5", str(int(duration) + 60), *command],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    lines = [
        line[len(WRK_RESULT_MARK) :]
        for line in (output.stdout + output.stderr).splitlines()
        if line.startswith(WRK_RESULT_MARK)
    ]
    if not lines:
        raise RuntimeError(f"wrk printed no result (exit {output.returncode}): {output.stderr}")
    raw = json.loads(lines[-1])
    outcomes = wrk_outcomes(raw)
    total = raw["requests"] + sum(raw[k] for k in ("connect", "write", "timeout"))
    wall = raw["duration_us"] / 1e6
    errors = {key: n for key, n in outcomes.items() if key != "200"}
    return {
        "load_generator": "wrk",
        "duration_s": round(wall, 1),
        "requests": total,
        # Paths are sent in turn: past ``count`` requests they repeat.
        "distinct_queries": min(total, count) if distinct else None,
        "ok": outcomes["200"],
        "req_per_s": round(total / wall, 1) if wall else 0.0,
        "ok_per_s": round(outcomes["200"] / wall, 1) if wall else 0.0,
        "error_pct": round(100 * sum(errors.values()) / total, 2) if total else None,
        "errors_pct_by_status": {
            key: round(100 * n / total, 2) for key, n in sorted(errors.items())
        },
        "errors_by_status": dict(sorted(errors.items())),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        # wrk's latency histogram is over every answer; the breakdown by status is not
        # kept (with no errors, the two are the same).
        "ok_p50_ms": round(raw["p50_us"] / 1000, 1) if not errors else None,
        "ok_p95_ms": round(raw["p95_us"] / 1000, 1) if not errors else None,
        "ok_p99_ms": round(raw["p99_us"] / 1000, 1) if not errors else None,
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
    distinct = result.get("distinct_queries")
    if distinct is not None and distinct < result["requests"]:
        print(f"  NOTE       : only {distinct} distinct queries: the rest repeated (cache hits)")


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
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="unmeasured seconds before each phase"
    )
    parser.add_argument(
        "--load-generator",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="wrk (default when installed) or the threaded Python client",
    )
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
            f"against {args.url} (load from {args.load_generator})"
        )

    def load(phase: str, duration: float, seed: int) -> dict:
        next_query = plan[phase][0]
        if args.load_generator == "wrk":
            distinct = phase == "cold" and args.cache_busting
            return run_phase_wrk(
                args.url, args.clients, duration, next_query, seed=seed, distinct=distinct
            )
        return run_phase(args.url, args.clients, duration, next_query, seed=seed)

    for index, phase in enumerate(phases):
        description = plan[phase][1]
        if args.warmup > 0:
            # Other seeds than any measured phase: the warm-up's queries are not cached.
            load(phase, args.warmup, seed=10_000 + args.seed + index)
        results[phase] = load(phase, args.duration, seed=args.seed + index)
        if not args.json:
            print_phase(phase, description, results[phase])
    if args.json:
        print(json.dumps({"clients": args.clients, "url": args.url, "phases": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
