#!/usr/bin/env python3
"""Saved-search alert latency: listing created -> alert email delivered (issue 13).

    ops/run_bench.sh alerts       (make bench-alerts)
    .venv/bin/python jmeter/bench_alerts.py [--listings 20] [--interval 1.0]

Through the running stack on loopback: a fresh buyer saves an instant search for a
unique word; a fresh seller creates ``--listings`` listings with that word, one every
``--interval`` seconds, through HAProxy's public API. Each listing's alert goes the whole
way (outbox -> Kafka ``listings`` -> the alerts worker's percolation -> models-api ->
``notifications_email`` -> Huey -> SMTP -> MailDev); the clock starts when the create
call has answered 201 and stops when MailDev holds the email naming that listing (polled
every 50 ms with MailDev's ``to.address`` filter, so the resolution is about 50 ms).

Prints p50, p95 and max and writes ``jmeter/results/alerts.md``. A benchmark measures:
exit 0 whatever the numbers, 1 only when it could not run (stack down, an alert that
never came within ``--deadline`` seconds).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import requests

import benchlib as b

POLL_SECONDS = 0.05
LISTING_RE = re.compile(r"/listings/(\d+)/")


def mail_web_url() -> str:
    host = b.env("BIND_ADDRESS", "127.0.0.1")
    return os.environ.get("MAIL_WEB_URL") or f"http://{host}:{b.env('MAIL_WEB_PORT', '1080')}"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def listing_ids_emailed(address: str) -> set[int]:
    response = requests.get(
        f"{mail_web_url()}/api/email", params={"to.address": address}, timeout=10
    )
    response.raise_for_status()
    found: set[int] = set()
    for message in response.json():
        found.update(int(i) for i in LISTING_RE.findall(message.get("text") or ""))
    return found


def run(args) -> int:
    from testsupport import signup, unique_word

    base = b.public_url()
    if b.http_get(f"{base}/healthz")[0] != 200:
        raise b.BenchError(f"the stack is not answering at {base} (run `make up`)")
    api = f"{base}/api/v1"
    buyer = signup(api, prefix="benchalert")
    seller = signup(api, prefix="benchalert")
    address = f"{buyer.username}@example.com"  # testsupport.signup's address
    word = unique_word("alat")
    saved = requests.post(
        f"{api}/saved-searches",
        json={"query": word, "frequency": "instant"},
        headers=buyer.headers,
        timeout=30,
    )
    if saved.status_code != 201:
        raise b.BenchError(f"saving the search answered {saved.status_code}: {saved.text}")

    created: dict[int, float] = {}  # listing id -> when its create answered
    delivered: dict[int, float] = {}
    deadline_after_last = args.deadline
    next_create = time.monotonic()
    index = 0
    last_created = None
    while True:
        now = time.monotonic()
        if index < args.listings and now >= next_create:
            response = requests.post(
                f"{api}/listings",
                json={
                    "title": f"Bench lamp {word} {index}",
                    "description": "Alert latency benchmark, please ignore.",
                    "price": "10.00",
                    "category": "electronics",
                },
                headers=seller.headers,
                timeout=30,
            )
            if response.status_code != 201:
                raise b.BenchError(f"create answered {response.status_code}: {response.text}")
            created[response.json()["id"]] = last_created = time.monotonic()
            index += 1
            next_create += args.interval
        for listing_id in listing_ids_emailed(address) - set(delivered):
            if listing_id in created:
                delivered[listing_id] = time.monotonic()
        if index == args.listings and len(delivered) == args.listings:
            break
        waited = time.monotonic() - last_created if last_created is not None else 0.0
        if index == args.listings and waited > deadline_after_last:
            missing = sorted(set(created) - set(delivered))
            raise b.BenchError(f"no alert within {args.deadline:.0f} s for {missing}")
        time.sleep(POLL_SECONDS)

    latencies = [delivered[i] - created[i] for i in created]
    lines = [
        "# Saved-search alert latency",
        "",
        f"- {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; through HAProxy at {base}; "
        f"{args.listings} listings, one every {args.interval:g} s; machine: "
        f"{os.cpu_count()} CPU cores, load average "
        + " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "- listing create answered 201 -> the alert email naming it is in MailDev "
        f"(polled every {POLL_SECONDS * 1000:.0f} ms)",
        "",
        "| listings | p50 s | p95 s | max s | mean s |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(latencies)} | {percentile(latencies, 0.50):.2f} | "
        f"{percentile(latencies, 0.95):.2f} | {max(latencies):.2f} | "
        f"{statistics.mean(latencies):.2f} |",
        "",
    ]
    report = "\n".join(lines)
    b.RESULTS.mkdir(parents=True, exist_ok=True)
    (b.RESULTS / "alerts.md").write_text(report)
    print(report)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--deadline", type=float, default=180.0)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(b.ROOT) / "common"))
    try:
        return run(args)
    except (b.BenchError, requests.RequestException) as exc:
        print(f"alerts benchmark could not run: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
