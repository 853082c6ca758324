"""Kafka client settings shared by every producer and consumer.

Natively the broker is Apache Kafka 0.9 and kafka-python must be told so
(``KAFKA_API_VERSION=0.9``); in docker-compose the variable is unset and the client
negotiates with the modern broker.
"""

from __future__ import annotations

import os


def api_version(value: str | None = None) -> tuple[int, ...] | None:
    raw = os.environ.get("KAFKA_API_VERSION", "") if value is None else value
    raw = raw.strip()
    if not raw:
        return None
    return tuple(int(part) for part in raw.split("."))


def bootstrap_servers(value: str | None = None) -> list[str]:
    raw = (
        value if value is not None else os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    return [server.strip() for server in raw.split(",") if server.strip()]


def client_kwargs() -> dict:
    """Keyword arguments common to KafkaProducer and KafkaConsumer."""
    kwargs: dict = {"bootstrap_servers": bootstrap_servers()}
    version = api_version()
    if version:
        kwargs["api_version"] = version
    return kwargs
