"""Kafka client settings shared by every producer and consumer.

The broker is Apache Kafka 4 (natively and in docker-compose); the clients negotiate the
protocol with it (ApiVersions), so no ``api_version`` is pinned. kafka-python for the
consumers, models-api's outbox relay and the admin client; the experience API's
page-view producer is confluent-kafka (librdkafka), given ``bootstrap_servers()`` joined.
"""

from __future__ import annotations

import os


def bootstrap_servers(value: str | None = None) -> list[str]:
    raw = (
        value if value is not None else os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    )
    return [server.strip() for server in raw.split(",") if server.strip()]


def client_kwargs() -> dict:
    """Keyword arguments common to KafkaProducer, KafkaConsumer and the admin client."""
    return {"bootstrap_servers": bootstrap_servers()}
