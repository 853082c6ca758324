"""Kafka topic administration: create what is missing, delete what a test or bench made.

The broker runs with ``auto.create.topics.enable=false``, so every topic is created
explicitly: the stack's own from ``ops/kafka/topics.txt`` (``make up``), a test's or a
benchmark's own with :func:`ensure_topics`. kafka-python's admin client negotiates the
protocol itself (no ``api_version`` pin) and creates all missing topics in one request,
about 0.1 s, against about 1 s of JVM start per topic for Kafka's TopicCommand.

    python -m mpcommon.kafka_topics BOOTSTRAP TOPICS_FILE     # used by ops/stack.py
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mpcommon import kafka_config

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    configs: dict[str, str] = field(default_factory=dict)


def read_topics_file(path: Path) -> list[TopicSpec]:
    """``name partitions [retention.ms]`` per line; ``#`` starts a comment."""
    specs = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) not in (2, 3) or not all(w.isdigit() for w in words[1:]):
            raise ValueError(f"{path}:{number}: expected 'name partitions [retention.ms]'")
        configs = {"retention.ms": words[2]} if len(words) == 3 else {}
        specs.append(TopicSpec(words[0], int(words[1]), configs))
    return specs


def _admin(bootstrap: str | None, timeout: float):
    from kafka import KafkaAdminClient

    servers = kafka_config.bootstrap_servers(bootstrap)
    # bootstrap_timeout_ms bounds the wait for a broker that is still starting.
    return KafkaAdminClient(
        bootstrap_servers=servers,
        client_id="marketplace-topics",
        request_timeout_ms=10000,
        bootstrap_timeout_ms=int(timeout * 1000),
    )


def ensure_topics(
    specs: list[TopicSpec], *, bootstrap: str | None = None, timeout: float = 30.0
) -> list[str]:
    """Create the topics of ``specs`` that do not exist; return the names created.

    Idempotent: an existing topic is left as it is, and one created concurrently by
    someone else counts as success. Returns only once every partition has a leader, so a
    producer started right after never sees UNKNOWN_TOPIC_OR_PARTITION.
    """
    from kafka.admin import NewTopic

    admin = _admin(bootstrap, timeout)
    try:
        existing = set(admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        created: list[str] = []
        if missing:
            response = admin.create_topics(
                [NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing],
                timeout_ms=10000,
                raise_errors=False,
            )
            for result in response["topics"]:
                name, code = result["name"], result["error_code"]
                if code == 0:
                    created.append(name)
                elif code != TOPIC_ALREADY_EXISTS:
                    raise RuntimeError(
                        f"could not create topic {name}: error {code} {result['error_message']}"
                    )
        _wait_for_leaders(admin, [spec.name for spec in specs], deadline=time.monotonic() + 30)
        return created
    finally:
        admin.close()


def _wait_for_leaders(admin, names: list[str], *, deadline: float) -> None:
    while True:
        described = {topic["name"]: topic for topic in admin.describe_topics(names)}
        absent = [
            name
            for name in names
            if name not in described
            or described[name]["error_code"] != 0
            or not described[name]["partitions"]
            or any(p["leader_id"] < 0 for p in described[name]["partitions"])
        ]
        if not absent:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics without a leader 30 s after creation: {absent}")
        time.sleep(0.1)


def delete_topics_matching(pattern: str, *, bootstrap: str | None = None) -> list[str]:
    """Delete every topic whose whole name matches the regular expression ``pattern``."""
    admin = _admin(bootstrap, 30.0)
    try:
        doomed = [name for name in admin.list_topics() if re.fullmatch(pattern, name)]
        if doomed:
            admin.delete_topics(doomed, timeout_ms=30000)
        return doomed
    finally:
        admin.close()


def delete_consumer_groups(names: list[str], *, bootstrap: str | None = None) -> dict[str, str]:
    """Delete the consumer groups ``names`` with their committed offsets; per group "OK"
    or why not (``GroupIdNotFoundError``: it never committed; ``NonEmptyGroupError``: a
    member is still in it)."""
    if not names:
        return {}
    admin = _admin(bootstrap, 30.0)
    try:
        return {name: str(result) for name, result in admin.delete_groups(list(names)).items()}
    finally:
        admin.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m mpcommon.kafka_topics BOOTSTRAP TOPICS_FILE", file=sys.stderr)
        return 2
    try:
        created = ensure_topics(read_topics_file(Path(argv[1])), bootstrap=argv[0])
    except Exception as exc:  # noqa: BLE001 (the message is for the person running make)
        print(f"kafka topics: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("created: " + (", ".join(created) if created else "none (all exist)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
