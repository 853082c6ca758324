"""Configuration of the batch workers, read once from the environment (12-factor).

The variables are the ones of ``docs/internal-contracts.md``; the tuning knobs below them
have defaults that suit the native stack and rarely need changing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mpcommon import events, search_index

# batch/marketplace_batch/settings.py -> the repository root.
REPO_ROOT = Path(__file__).resolve().parents[2]


class ImproperlyConfigured(RuntimeError):
    """A required setting is missing or malformed."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be >= 0, got {value}")
    return value


def _path(raw: str) -> Path:
    # Relative paths are relative to the repository root (the native stack keeps its
    # state under var/), not to the working directory, which supervisord sets to batch/.
    path = Path(raw).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


@dataclass(frozen=True)
class Settings:
    models_api_url: str = "http://127.0.0.1:8300"
    service_token: str = ""
    elasticsearch_url: str = "http://127.0.0.1:9200"
    access_log_path: Path = field(default_factory=lambda: _path("var/data/access.log"))
    log_level: str = "INFO"

    listings_topic: str = events.TOPIC_LISTINGS
    page_views_topic: str = events.TOPIC_PAGE_VIEWS
    photos_topic: str = events.TOPIC_PHOTOS
    saved_searches_topic: str = events.TOPIC_SAVED_SEARCHES
    listings_alias: str = search_index.LISTINGS_ALIAS
    saved_searches_index: str = search_index.SAVED_SEARCHES_INDEX
    indexer_group: str = "search-indexer"
    page_views_group: str = "page-views"
    thumbnails_group: str = "thumbnails"
    # The alerts worker: listings are percolated in group "alerts", the saved-searches
    # topic kept in the percolator index in group "alerts-percolator".
    alerts_group: str = "alerts"
    alerts_percolator_group: str = "alerts-percolator"

    indexer_batch_size: int = 1000
    indexer_linger_seconds: float = 0.05
    page_views_batch_size: int = 2000
    page_views_linger_seconds: float = 1.0
    # Photos are decoded one at a time (up to MAX_PHOTO_PIXELS each): small batches.
    thumbnails_batch_size: int = 4
    # Listings percolated in one request (and their matches posted) per batch; alerts
    # are latency-bound, so the linger is short.
    alerts_batch_size: int = 100
    alerts_linger_seconds: float = 0.02
    saved_searches_batch_size: int = 500
    # Before a listings batch is matched, the saved searches published so far are
    # indexed; past this wait (saved-searches side stuck) the batch goes on anyway.
    alerts_sync_wait_seconds: float = 10.0
    # The 0.9 broker accepts session timeouts up to 30 s; kafka-python also uses it as
    # the max time between polls, so long retries keep polling with paused partitions.
    kafka_session_timeout_ms: int = 10000
    backoff_initial_seconds: float = 0.2
    backoff_max_seconds: float = 30.0
    http_timeout_seconds: float = 5.0
    search_timeout_seconds: float = 30.0

    recommendations_interval_seconds: int = 120
    recommendations_top_n: int = 10
    recommendations_min_users: int = 3
    spark_driver_memory: str = "512m"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        session_timeout = _int(env, "KAFKA_SESSION_TIMEOUT_MS", 10000, minimum=6000)
        if session_timeout > 30000:
            raise ImproperlyConfigured("KAFKA_SESSION_TIMEOUT_MS must be <= 30000")
        return cls(
            models_api_url=env.get("MODELS_API_URL", "http://127.0.0.1:8300").rstrip("/"),
            service_token=env.get("SERVICE_TOKEN", ""),
            elasticsearch_url=env.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"),
            access_log_path=_path(env.get("ACCESS_LOG_PATH", "") or "var/data/access.log"),
            log_level=(env.get("LOG_LEVEL", "") or "INFO").upper(),
            indexer_batch_size=_int(env, "INDEXER_BATCH_SIZE", 1000, minimum=1),
            indexer_linger_seconds=_float(env, "INDEXER_LINGER_SECONDS", 0.05),
            page_views_batch_size=_int(env, "PAGE_VIEWS_BATCH_SIZE", 2000, minimum=1),
            page_views_linger_seconds=_float(env, "PAGE_VIEWS_LINGER_SECONDS", 1.0),
            thumbnails_batch_size=_int(env, "THUMBNAILS_BATCH_SIZE", 4, minimum=1),
            alerts_batch_size=_int(env, "ALERTS_BATCH_SIZE", 100, minimum=1),
            alerts_linger_seconds=_float(env, "ALERTS_LINGER_SECONDS", 0.02),
            saved_searches_batch_size=_int(env, "SAVED_SEARCHES_BATCH_SIZE", 500, minimum=1),
            alerts_sync_wait_seconds=_float(env, "ALERTS_SYNC_WAIT_SECONDS", 10.0),
            kafka_session_timeout_ms=session_timeout,
            backoff_initial_seconds=_float(env, "BACKOFF_INITIAL_SECONDS", 0.2),
            backoff_max_seconds=_float(env, "BACKOFF_MAX_SECONDS", 30.0),
            http_timeout_seconds=_float(env, "HTTP_TIMEOUT_SECONDS", 5.0),
            search_timeout_seconds=_float(env, "SEARCH_TIMEOUT_SECONDS", 30.0),
            recommendations_interval_seconds=_int(env, "RECOMMENDATIONS_INTERVAL_SECONDS", 120),
            recommendations_top_n=_int(env, "RECOMMENDATIONS_TOP_N", 10, minimum=1),
            recommendations_min_users=_int(env, "RECOMMENDATIONS_MIN_USERS", 3, minimum=1),
            spark_driver_memory=env.get("SPARK_DRIVER_MEMORY", "") or "512m",
        )
