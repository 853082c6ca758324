"""Readiness checks of every dependency, each bounded by a short timeout."""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from clients import events, models_api
from clients import search as search_client
from mpcommon import kafka_config

CHECK_TIMEOUT_SECONDS = 1.0


def check_models_api() -> str:
    models_api.get_client().check_health(timeout=CHECK_TIMEOUT_SECONDS)
    return "healthz ok"


def check_redis() -> str:
    if not settings.CACHE_ENABLED:
        return "cache disabled (CACHE_ENABLED=false)"
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()
    return "ping ok"


def check_kafka() -> str:
    """A TCP connect to a bootstrap server, plus the page-view publisher's counters."""
    errors = []
    for server in kafka_config.bootstrap_servers():
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=CHECK_TIMEOUT_SECONDS):
                break
        except OSError as exc:
            errors.append(f"{server}: {exc.strerror or exc}")
    else:
        raise ConnectionError("; ".join(errors) or "no bootstrap servers configured")
    stats = events.get_publisher().stats()
    return (
        "broker reachable; page views published={published} failed={failed} "
        "dropped={dropped} queued={queued}"
    ).format(**stats)


def check_search() -> str:
    return search_client.check_health(timeout=CHECK_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], str]] = {
    "models_api": check_models_api,
    "redis": check_redis,
    "kafka": check_kafka,
    "search": check_search,
}


def run_checks() -> dict[str, dict]:
    """Run every check concurrently; ``{"name": {"ok": bool, "detail": str}}``."""

    def run(check: Callable[[], str]) -> dict:
        try:
            return {"ok": True, "detail": check()}
        except Exception as exc:  # noqa: BLE001 - a failed check is a result, not an error
            detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
            return {"ok": False, "detail": f"{type(exc).__name__}: {detail}"[:300]}

    with ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz") as pool:
        futures = {name: pool.submit(run, check) for name, check in CHECKS.items()}
        return {name: future.result() for name, future in futures.items()}
