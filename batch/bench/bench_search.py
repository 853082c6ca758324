"""Search pipeline benchmark (loopback only, bounded in time and volume).

    cd batch && ../.venv/bin/python bench/bench_search.py [--listings 50] [--backlog 10000]

1. freshness: sign up one bench user through the public API (HAProxy rate-limits
   /api/v1/auth/*, so only once), create ``--listings`` listings one after another, and
   poll ``/api/v1/search`` until each is found by a unique word of its title; prints
   p50/p95/max seconds from the 201 to the first hit (target p95 < 1.5 s).
2. indexer throughput: produce a ``--backlog`` of synthetic listing events to a fresh
   topic, then time a fresh indexer (own consumer group, fresh index) draining it;
   prints listings/s (target >= 2,000/s). The bench topic and index are removed after.
3. search latency at 20 concurrent clients is measured by experience-api/bench.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketplace_batch import kafka_io, search  # noqa: E402
from marketplace_batch.indexer import ListingIndexer  # noqa: E402
from marketplace_batch.lifecycle import ShutdownFlag  # noqa: E402
from marketplace_batch.settings import Settings  # noqa: E402
from mpcommon import events, kafka_topics  # noqa: E402

API = os.environ.get("BENCH_API_URL", "http://127.0.0.1:8000/api/v1")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --------------------------------------------------------------------------- freshness
def bench_freshness(count: int, timeout_seconds: float = 20.0) -> dict:
    session = requests.Session()
    suffix = secrets.token_hex(4)
    password = secrets.token_urlsafe(16) + "Aa1!"
    response = session.post(
        f"{API}/auth/signup",
        json={
            "username": f"bench_{suffix}",
            "email": f"bench_{suffix}@example.com",
            "password": password,
        },
        timeout=10,
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['authenticator']}"
    categories = session.get(f"{API}/categories", timeout=10).json()["categories"]
    category = categories[0]["slug"]

    delays: list[float] = []
    misses = 0
    for n in range(count):
        word = "bx" + secrets.token_hex(5) + "q"  # unique, analyser-proof token
        created = session.post(
            f"{API}/listings",
            json={
                "title": f"Bench item {word}",
                "description": f"Freshness probe number {n}.",
                "price": "10.00",
                "category": category,
            },
            timeout=10,
        )
        created.raise_for_status()
        acknowledged = time.monotonic()
        listing_id = created.json()["id"]
        while True:
            found = session.get(f"{API}/search", params={"q": word}, timeout=10)
            if found.ok and any(r["id"] == listing_id for r in found.json().get("results", [])):
                delays.append(time.monotonic() - acknowledged)
                break
            if time.monotonic() - acknowledged > timeout_seconds:
                misses += 1
                break
            time.sleep(0.05)
    return {
        "listings": count,
        "found": len(delays),
        "missed": misses,
        "p50_s": round(statistics.median(delays), 3) if delays else None,
        "p95_s": round(percentile(delays, 95), 3) if delays else None,
        "max_s": round(max(delays), 3) if delays else None,
    }


# --------------------------------------------------------------------------- throughput
def synthetic_event(listing_id: int) -> bytes:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    listing = {
        "id": listing_id,
        "title": f"Synthetic listing {listing_id} vintage lamp",
        "description": "A synthetic listing for the indexer benchmark. " * 3,
        "price": f"{listing_id % 1000}.99",
        "category": {"slug": "home", "name": "Home"},
        "condition": "good",
        "status": "active",
        "seller": {"id": listing_id % 97 + 1, "username": "bench", "display_name": "Bench"},
        "view_count": 0,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    event = events.listing_event(events.LISTING_CREATED, listing_id, 1, listing)
    return events.encode(event)


def bench_indexer_throughput(backlog: int) -> dict:
    run_id = uuid.uuid4().hex[:8]
    topic = f"bench-listings-{run_id}"
    alias = f"bench-listings-{run_id}"
    settings = replace(Settings.from_env(), listings_topic=topic)

    kafka_topics.ensure_topics(
        [
            kafka_topics.TopicSpec(topic, 2),
            kafka_topics.TopicSpec(events.dead_letter_topic(topic), 1),
        ]
    )
    producer = kafka_io.create_producer()
    started = time.perf_counter()
    for listing_id in range(1, backlog + 1):
        producer.send(topic, key=str(listing_id).encode(), value=synthetic_event(listing_id))
    producer.flush(timeout=60)
    produce_seconds = time.perf_counter() - started

    es = search.create_client(settings)
    consumer = kafka_io.create_consumer(
        topic, f"bench-indexer-{run_id}", settings, max_poll_records=settings.indexer_batch_size
    )
    dead_letters = kafka_io.DeadLetterPublisher(producer)
    indexer = ListingIndexer(
        consumer=consumer,
        es=es,
        dead_letters=dead_letters,
        settings=settings,
        shutdown=ShutdownFlag(),
        alias=alias,
    )
    try:
        started = time.perf_counter()
        indexer.ensure_index()
        handled = 0
        first_record_at = None
        deadline = time.monotonic() + 300
        while handled < backlog and time.monotonic() < deadline:
            batch = indexer.run_once(idle_timeout_seconds=1)
            if batch and first_record_at is None:
                first_record_at = time.perf_counter()
            handled += batch
        finished = time.perf_counter()
        es.indices.refresh(index=alias)
        indexed = es.count(index=alias)["count"]
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=5)
        for index in es.indices.get(index=f"{alias}*", ignore_unavailable=True):
            es.indices.delete(index=index, ignore_unavailable=True)
        es.close()
        kafka_topics.delete_topics_matching(rf"{topic}(\.dlq)?")
    total = finished - started
    return {
        "backlog": backlog,
        "handled": handled,
        "indexed": indexed,
        "produce_s": round(produce_seconds, 2),
        "drain_s_including_group_join": round(total, 2),
        "listings_per_s_including_join": round(handled / total) if total else None,
        "listings_per_s_steady": round(handled / (finished - first_record_at))
        if first_record_at and finished > first_record_at
        else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=50, help="freshness probes (>= 50)")
    parser.add_argument("--backlog", type=int, default=10000, help="events for throughput")
    parser.add_argument("--skip-freshness", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.json:
        report = {
            "freshness": None if args.skip_freshness else bench_freshness(args.listings),
            "throughput": None if args.skip_throughput else bench_indexer_throughput(args.backlog),
        }
        print(json.dumps(report))
        return 0

    print("== search pipeline benchmark (loopback) ==")
    if not args.skip_freshness:
        result = bench_freshness(args.listings)
        print(
            f"freshness: {result['found']}/{result['listings']} found, "
            f"p50 {result['p50_s']} s, p95 {result['p95_s']} s, max {result['max_s']} s "
            f"(target p95 < 1.5 s); missed {result['missed']}"
        )
    if not args.skip_throughput:
        result = bench_indexer_throughput(args.backlog)
        print(
            f"indexer throughput: {result['handled']} events drained, {result['indexed']} "
            f"documents; {result['listings_per_s_steady']} listings/s steady, "
            f"{result['listings_per_s_including_join']} listings/s including group join "
            f"({result['drain_s_including_group_join']} s; target >= 2,000/s); "
            f"backlog produced in {result['produce_s']} s"
        )
    print("search latency p50/p99 at 20 clients: see experience-api/bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
