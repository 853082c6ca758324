#!/usr/bin/env python3
"""Create Kafka topics that do not exist yet (the broker has auto-creation off).

    .venv/bin/python ops/kafka/topics.py 127.0.0.1:9092 listings:2 page-views:2 listings.dlq:1

One CreateTopics request for all missing topics through kafka-python's admin client (about
0.1 s, against about 1 s of JVM start per topic for TopicCommand). Idempotent: existing topics
are left alone (their partition count is not changed) and a concurrent creation by someone
else counts as success. Exit status 0 when every topic exists afterwards; the error otherwise.
"""

from __future__ import annotations

import sys
import time


def ensure_topics(bootstrap: str, wanted: dict[str, int], timeout: float = 30.0) -> list[str]:
    """Create the missing topics of ``wanted`` (name -> partitions); return those created."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    # No api_version: kafka-python negotiates with ApiVersions. bootstrap_timeout_ms bounds the
    # wait for a broker that is still starting (kafka-python 3 then raises KafkaTimeoutError).
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="stack-topics",
        request_timeout_ms=10000,
        bootstrap_timeout_ms=int(timeout * 1000),
    )
    try:
        missing = [name for name in wanted if name not in set(admin.list_topics())]
        if not missing:
            return []
        new = [NewTopic(name, wanted[name], 1) for name in missing]
        response = admin.create_topics(new, timeout_ms=10000, raise_errors=False)
        created = []
        for result in response["topics"]:
            if result["error_code"] == 0:
                created.append(result["name"])
            elif result["error_code"] != 36:  # 36 TOPIC_ALREADY_EXISTS: made meanwhile, fine
                raise RuntimeError(
                    f"could not create {result['name']}: error {result['error_code']} "
                    f"{result['error_message']}"
                )
        # Return only once the metadata lists every topic with a leader for each partition, so
        # a producer started right after never sees UNKNOWN_TOPIC_OR_PARTITION.
        deadline = time.monotonic() + 10
        while True:
            described = {t["name"]: t for t in admin.describe_topics(list(wanted))}
            absent = [
                name
                for name in wanted
                if name not in described
                or described[name]["error_code"] != 0
                or any(p["leader_id"] < 0 for p in described[name]["partitions"])
            ]
            if not absent:
                return created
            if time.monotonic() > deadline:
                raise RuntimeError(f"topics not ready 10 s after CreateTopics: {absent}")
            time.sleep(0.1)
    finally:
        admin.close()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    bootstrap, specs = argv[0], argv[1:]
    wanted = {}
    for spec in specs:
        name, _, partitions = spec.partition(":")
        wanted[name] = int(partitions or 1)
        if wanted[name] < 1:
            print(f"topics.py: {spec}: partitions must be at least 1", file=sys.stderr)
            return 2
    try:
        created = ensure_topics(bootstrap, wanted)
    except Exception as exc:  # noqa: BLE001 (the message is for the person running make)
        print(f"topics.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("created: " + (", ".join(created) if created else "none (all exist)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
