#!/usr/bin/env python3
"""Pages benchmark: the site's pages side by side with ``/healthz``, in one run, with wrk.

    ops/run_bench.sh pages        (make bench-pages)
    .venv/bin/python jmeter/bench_pages.py [--duration 10] [--connections 50]
        [--threads 2] [--gzip] [--no-edge-cache]

Through HAProxy on loopback (``$PUBLIC_URL``), each target for ``--duration`` seconds
with ``--connections`` keep-alive connections (wrk, Debian package; ``make install``):

    /healthz                       the bare request through the same HAProxy and web tier:
                                   the physical limit of this machine (measured first and
                                   last; pages are compared with the mean of the two)
    /, a listing page, a search    anonymous (the edge cache may serve them)
    the same three, logged in      a demo user's cookies, as a browser holds them after
                                   logging in (``auth`` and ``csrftoken``): always
                                   dynamic, assembled at the edge (docs/edge-assembly.md)
                                   or rendered by the web tier
    a listing with photos          anonymous and logged in: one of the demo user's
                                   listings given 3 photos (uploaded through the public
                                   API when it has none, thumbnails waited for), next to
                                   the listing page without photos above (issue 12)

Before each target the benchmark waits (at most 30 s, PAGES_SETTLE_SECONDS) until the
machine is at most 35% busy, so what one page set off (the page views of the anonymous
listing run, folded by the batch workers) is not measured as the next page's cost; the
table shows how busy it still was.

Prints one table: requests/s, the ratio to ``/healthz``, latency p50/p99, errors (socket
errors + non-2xx/3xx answers), the share of answers the edge cache served (HAProxy's
``cache_hits``/``cache_lookups`` counters of backend web, read before and after
each target) and the share of logged-in answers assembled at the edge (the counters
of ``/edge-assembly`` on the stats port), plus the machine's core count and load
average before and after; writes the same to ``jmeter/results/pages.md``. Targets
(issue 11) are marked in the last column: anonymous pages >= 0.80 of /healthz with
p99 < 100 ms, logged-in home and listing >= 0.30.

``--no-edge-cache`` restarts HAProxy with ``EDGE_CACHE=off`` (runtime override, removed
at the end, also on Ctrl-C) to measure the dynamic path alone. ``--gzip`` sends
``Accept-Encoding: gzip`` as browsers do. A benchmark measures: the exit code is 0
whatever the numbers, 1 only when it could not run (stack down, wrk missing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import benchlib as b

RESULT_MARK = "WRK-RESULT "
# Printed by wrk at the end of a run (Lua `done`): one JSON line, times in microseconds.
WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""

DEMO_USER = os.environ.get("BENCH_PAGES_USER", "demo")
DEMO_PASSWORD = os.environ.get("BENCH_PAGES_PASSWORD", "demo-password-123")
# Searched for in order; the first with results is the search page measured (a search
# without results is never cached anywhere, so it would measure the engine instead).
PHOTOS_PER_LISTING = 3
SEARCH_CANDIDATES = ("vintage", "guitar", "bike", "camera", "chair", "table", "lamp")

# Before each page: wait until the machine is at most this busy (or SETTLE_SECONDS).
SETTLE_BUSY = 0.35
SETTLE_SECONDS = float(os.environ.get("PAGES_SETTLE_SECONDS", 30))

ANONYMOUS_RATIO_TARGET = 0.80
ANONYMOUS_P99_TARGET_MS = 100.0
LOGGED_IN_RATIO_TARGET = 0.30


class Interrupted(Exception):
    """SIGTERM (timeout from run_bench.sh): unwind so the override is removed."""


@dataclass
class Target:
    name: str
    path: str
    logged_in: bool = False
    # "anonymous" / "logged-in" pages get a target; /healthz is the reference.
    kind: str = "page"


@dataclass
class Result:
    target: Target
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    status_errors: int
    cache_hits: int = 0
    cache_lookups: int = 0
    assembled: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + self.status_errors

    @property
    def hit_share(self) -> float | None:
        """Share of this run's answers served by the edge cache (None if unknown)."""
        if not self.requests:
            return None
        return min(1.0, self.cache_hits / self.requests)

    @property
    def assembled_share(self) -> float | None:
        """Share of this run's answers assembled at the edge (None when not logged in)."""
        if not self.requests or not self.target.logged_in:
            return None
        return min(1.0, self.assembled / self.requests)


def parse_wrk_output(text: str) -> dict:
    """The JSON our wrk script prints at the end (BenchError if it is missing)."""
    for line in text.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise b.BenchError(f"wrk printed no result line:\n{text[-2000:]}")


def result_from_wrk(target: Target, raw: dict) -> Result:
    return Result(
        target=target,
        requests=int(raw["requests"]),
        duration_s=int(raw["duration_us"]) / 1e6,
        p50_ms=int(raw["p50_us"]) / 1000,
        p99_ms=int(raw["p99_us"]) / 1000,
        socket_errors=sum(int(raw[k]) for k in ("connect", "read", "write", "timeout")),
        status_errors=int(raw["status"]),
    )


def cache_counters(stats_csv: str, backend: str = "web") -> tuple[int, int]:
    """(cache_hits, cache_lookups) of one backend (the edge cache rules live in web)."""
    lines = stats_csv.splitlines()
    if not lines:
        return 0, 0
    header = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == backend and row.get("svname") == "BACKEND":
            return int(row.get("cache_hits") or 0), int(row.get("cache_lookups") or 0)
    return 0, 0


def assembled_count(stats_base: str) -> int:
    """Pages assembled at the edge so far (haproxy/edge_assembly.lua's counters)."""
    status, body = b.http_get(f"{stats_base}/edge-assembly")
    return int(json.loads(body).get("assembled", 0)) if status == 200 else 0


def target_verdict(result: Result) -> str:
    """The issue's target for this row, and whether the run met it."""
    kind, ratio = result.target.kind, result.extra.get("ratio")
    if kind == "reference" or ratio is None:
        return ""
    if kind == "anonymous":
        ok = (
            ratio >= ANONYMOUS_RATIO_TARGET
            and result.p99_ms < ANONYMOUS_P99_TARGET_MS
            and result.errors == 0
        )
        goal = f">= {ANONYMOUS_RATIO_TARGET:.2f}, p99 < {ANONYMOUS_P99_TARGET_MS:.0f} ms"
    elif result.target.path.startswith("/search/"):
        return "(no target)"
    else:
        ok = ratio >= LOGGED_IN_RATIO_TARGET and result.errors == 0
        goal = f">= {LOGGED_IN_RATIO_TARGET:.2f}"
    return f"{'met' if ok else 'MISSED'} ({goal})"


def render_table(results: list[Result], reference_rps: float) -> str:
    rows = [
        "| page | req/s | / healthz | p50 ms | p99 ms | errors | edge cache hits "
        "| assembled at the edge | busy before | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        ratio = result.rps / reference_rps if reference_rps else 0.0
        result.extra["ratio"] = ratio
        hits, assembled = result.hit_share, result.assembled_share
        busy_before = result.extra.get("busy_before")
        busy = "-" if busy_before is None else f"{busy_before:.0%}"
        rows.append(
            f"| {result.target.name} | {result.rps:,.0f} | {ratio:.2f} | "
            f"{result.p50_ms:.1f} | {result.p99_ms:.1f} | {result.errors} | "
            f"{'-' if hits is None else f'{hits:.0%}'} | "
            f"{'-' if assembled is None else f'{assembled:.0%}'} | {busy} | "
            f"{target_verdict(result)} |"
        )
    return "\n".join(rows)


# ---------------------------------------------------------------- the stack
def http(method: str, url: str, body: dict | None = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def log_in(base: str) -> tuple[str, str]:
    status, body = http(
        "POST", f"{base}/api/v1/auth/login", {"username": DEMO_USER, "password": DEMO_PASSWORD}
    )
    if status != 200:
        raise b.BenchError(f"could not log in as {DEMO_USER!r} (status {status}): {body[:300]}")
    data = json.loads(body)
    return data["authenticator"], data["user"]["username"]


def csrf_cookie(base: str) -> str:
    """A CSRF secret of the site (``csrftoken``), as a browser gets it with its first form
    (the login page) and sends back ever after."""
    with urllib.request.urlopen(f"{base}/login/", timeout=15) as response:  # noqa: S310
        for header in response.headers.get_all("Set-Cookie") or []:
            match = re.match(r"csrftoken=([A-Za-z0-9]+);", header)
            if match:
                return match.group(1)
    raise b.BenchError("the login page handed out no csrftoken cookie")


def log_out(base: str, authenticator: str) -> None:
    try:
        http(
            "POST",
            f"{base}/api/v1/auth/logout",
            headers={"Authorization": f"Bearer {authenticator}"},
        )
    except OSError as exc:  # the stack went away meanwhile: the token expires on its own
        b.log(f"could not log out the benchmark's user: {exc}")


def pick_listing(base: str) -> int:
    """The first listing of the home page that has no photos (the page without them)."""
    status, body = http("GET", f"{base}/")
    found = re.findall(r'href="/listings/(\d+)/"', body) if status == 200 else []
    for listing_id in dict.fromkeys(found):
        status, detail = http("GET", f"{base}/api/v1/listings/{listing_id}")
        if status == 200 and not json.loads(detail).get("photos"):
            return int(listing_id)
    raise b.BenchError(f"the home page lists no listing without photos (status {status})")


def listing_with_photos(base: str, authenticator: str, count: int = PHOTOS_PER_LISTING) -> int:
    """A demo user's active listing with ``count`` photos whose thumbnails exist; the
    photos are uploaded through the public API the first time."""
    import requests

    from testsupport.images import product_photo

    headers = {"Authorization": f"Bearer {authenticator}"}
    status, body = http("GET", f"{base}/api/v1/dashboard?status=active", headers=headers)
    if status != 200:
        raise b.BenchError(f"GET /api/v1/dashboard answered {status}")
    listings = json.loads(body)["listings"]
    if not listings:
        raise b.BenchError(f"{DEMO_USER!r} has no active listing")
    chosen = next((item for item in listings if len(item.get("photos") or []) >= count), None)
    if chosen is None:
        chosen = next(item for item in listings if not item.get("photos"))
        files = [
            ("photos", (f"bench-{i}.jpg", product_photo(i), "image/jpeg")) for i in range(count)
        ]
        response = requests.post(
            f"{base}/api/v1/listings/{chosen['id']}/photos",
            files=files,
            headers=headers,
            timeout=120,
        )
        if response.status_code != 201:
            raise b.BenchError(f"photo upload answered {response.status_code}: {response.text}")

    def thumbnails_made() -> bool:
        status, detail = http("GET", f"{base}/api/v1/listings/{chosen['id']}")
        photos = json.loads(detail).get("photos") if status == 200 else None
        return bool(photos) and all(p["card_url"] and p["detail_url"] for p in photos)

    b.wait_until(thumbnails_made, 120, "the thumbnails of the benchmark's photos")
    return int(chosen["id"])


def pick_search(base: str) -> str:
    for word in SEARCH_CANDIDATES:
        status, body = http("GET", f"{base}/api/v1/search?q={word}")
        if status == 200 and json.loads(body).get("total"):
            return f"/search/?q={word}"
    return f"/search/?q={SEARCH_CANDIDATES[0]}"


def check_pages(base: str, targets: list[Target], cookie: str, username: str) -> None:
    """Every page answers 200; logged-in pages show the user, anonymous ones do not."""
    marker = 'data-testid="current-username"'
    for target in targets:
        if target.kind == "reference":
            continue
        headers = {"Cookie": cookie} if target.logged_in else {}
        status, body = http("GET", base + target.path, headers=headers)
        if status != 200:
            raise b.BenchError(f"{target.path} answered {status} before the run")
        shows_user = marker in body and f">{username}<" in body
        if shows_user != target.logged_in:
            raise b.BenchError(
                f"{target.name}: the page {'does not show' if target.logged_in else 'shows'} "
                "the logged-in user"
            )


def run_wrk(base: str, target: Target, args, cookie: str, script: Path) -> Result:
    command = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
        "--timeout", "5s", "-s", str(script),
    ]  # fmt: skip
    if target.logged_in:
        command += ["-H", f"Cookie: {cookie}"]
    if args.gzip:
        command += ["-H", "Accept-Encoding: gzip"]
    command.append(base + target.path)
    stats_base = b.stats_url().rsplit("/", 1)[0]
    before = cache_counters(b.http_get(b.stats_url())[1])
    assembled_before = assembled_count(stats_base)
    output = subprocess.run(
        ["timeout", "--kill-after=5", str(args.duration + 30), *command],
        capture_output=True,
        text=True,
    )
    after = cache_counters(b.http_get(b.stats_url())[1])
    assembled_after = assembled_count(stats_base)
    result = result_from_wrk(target, parse_wrk_output(output.stdout + output.stderr))
    result.assembled = max(0, assembled_after - assembled_before)
    result.cache_hits = max(0, after[0] - before[0])
    result.cache_lookups = max(0, after[1] - before[1])
    return result


def cpu_busy(interval: float = 1.0) -> float:
    """Share of the machine's CPU time spent busy over ``interval`` seconds (/proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return idle, sum(fields)

    idle_a, total_a = sample()
    time.sleep(interval)
    idle_b, total_b = sample()
    return 1 - (idle_b - idle_a) / max(1, total_b - total_a)


def settle(limit: float = SETTLE_SECONDS) -> float:
    """Wait (at most ``limit`` s) until the machine is mostly idle: what the previous page
    set off (e.g. the page views of an anonymous listing run, folded by the batch
    workers) must not be measured as this page's cost. Returns the last busy share."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy > SETTLE_BUSY and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def machine_line(label: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"{label}: load average {one:.2f} {five:.2f} {fifteen:.2f}"


def run(args) -> int:
    if shutil.which("wrk") is None:
        raise b.BenchError("wrk is not installed: `make install` (Debian package wrk)")
    base = b.public_url()
    if b.http_get(f"{base}/healthz")[0] != 200:
        raise b.BenchError(f"the stack is not answering at {base} (run `make up`)")
    if args.no_edge_cache:
        b.log("HAProxy: restarting with EDGE_CACHE=off (dynamic path only)")
        b.set_override("haproxy", {"EDGE_CACHE": "off"})
        b.restart_haproxy(expect={"EDGE_CACHE": "off"})
    b.wait_stack_healthy(60)

    listing = f"/listings/{pick_listing(base)}/"
    search = pick_search(base)
    authenticator, username = log_in(base)
    cookie = f"auth={authenticator}; csrftoken={csrf_cookie(base)}"
    with_photos = f"/listings/{listing_with_photos(base, authenticator)}/"
    targets = [
        Target("/healthz", "/healthz", kind="reference"),
        Target("anonymous /", "/", kind="anonymous"),
        Target(f"anonymous {listing}", listing, kind="anonymous"),
        Target(f"anonymous {search}", search, kind="anonymous"),
        Target("logged in /", "/", logged_in=True, kind="logged-in"),
        Target(f"logged in {listing}", listing, logged_in=True, kind="logged-in"),
        Target(f"logged in {search}", search, logged_in=True, kind="logged-in"),
        Target(f"anonymous {with_photos} (3 photos)", with_photos, kind="anonymous"),
        Target(
            f"logged in {with_photos} (3 photos)", with_photos, logged_in=True, kind="logged-in"
        ),  # fmt: skip
        Target("/healthz (again)", "/healthz", kind="reference"),
    ]
    try:
        check_pages(base, targets, cookie, username)
        loads = [machine_line("before")]
        results = []
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "report.lua"
            script.write_text(WRK_SCRIPT)
            for target in targets:
                busy = settle()
                # A short warm-up: caches filled, workers started, connections pooled.
                warm = argparse.Namespace(**{**vars(args), "duration": 2})
                run_wrk(base, target, warm, cookie, script)
                result = run_wrk(base, target, args, cookie, script)
                result.extra["busy_before"] = busy
                b.log(
                    f"{target.name}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                    f"p99 {result.p99_ms:.1f} ms, errors {result.errors} "
                    f"(machine {busy:.0%} busy before)"
                )
                results.append(result)
        loads.append(machine_line("after"))
    finally:
        log_out(base, authenticator)
        if args.no_edge_cache:
            b.clear_override("haproxy")
            b.log("HAProxy: restarting with its normal settings (edge cache on)")
            b.restart_haproxy()

    references = [r.rps for r in results if r.target.kind == "reference"]
    reference = sum(references) / len(references)
    table = render_table(results, reference)
    header = [
        "# Pages benchmark",
        "",
        f"- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; through HAProxy at {base}; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.duration} s "
        f"per page (after a 2 s warm-up){', Accept-Encoding: gzip' if args.gzip else ''}; "
        f"edge cache {'OFF (EDGE_CACHE=off)' if args.no_edge_cache else 'on'}",
        f"- machine: {os.cpu_count()} CPU cores, shared by wrk, HAProxy and every service; "
        + "; ".join(loads),
        f"- ratios against /healthz = {reference:,.0f} req/s (mean of the first and last run: "
        + ", ".join(f"{r:,.0f}" for r in references)
        + ")",
        "",
        table,
        "",
    ]
    report = "\n".join(header)
    b.RESULTS.mkdir(parents=True, exist_ok=True)
    name = "pages-nocache.md" if args.no_edge_cache else "pages.md"
    (b.RESULTS / name).write_text(report)
    print()
    print(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=int(os.environ.get("PAGES_DURATION", 10)))
    parser.add_argument(
        "--connections", type=int, default=int(os.environ.get("PAGES_CONNECTIONS", 50))
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("PAGES_THREADS", 2)))
    parser.add_argument("--gzip", action="store_true", default=bool(os.environ.get("PAGES_GZIP")))
    parser.add_argument(
        "--no-edge-cache",
        action="store_true",
        default=os.environ.get("PAGES_EDGE_CACHE", "on") == "off",
    )
    args = parser.parse_args(argv)

    def _terminate(signum, _frame):
        raise Interrupted(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(args)
    except b.BenchError as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
