"""Graceful shutdown and retry-with-backoff, shared by every long-running worker."""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Stopping(Exception):
    """Raised out of a retry loop when shutdown was requested while waiting."""


class ShutdownFlag:
    """Set by SIGTERM/SIGINT; workers finish their current batch, commit and exit.

    Waiting on it (instead of ``time.sleep``) lets a backoff pause end the moment
    supervisord asks the process to stop.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    def install(self) -> ShutdownFlag:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame) -> None:  # noqa: ARG002 - signal handler signature
        logger.info("shutdown requested", extra={"signal": signal.Signals(signum).name})
        self._event.set()

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if shutdown was requested meanwhile."""
        return self._event.wait(seconds)


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter (AWS architecture blog style)."""

    initial: float = 0.2
    maximum: float = 30.0
    factor: float = 2.0
    jitter: bool = True

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the delay before retry number ``attempt`` (0-based)."""
        return min(self.maximum, self.initial * (self.factor**attempt))

    def delays(self) -> Iterator[float]:
        attempt = 0
        while True:
            ceiling = self.ceiling(attempt)
            yield random.uniform(ceiling / 2, ceiling) if self.jitter else ceiling
            attempt += 1


def retry_until_done(
    operation: Callable[[], T],
    *,
    is_transient: Callable[[BaseException], bool],
    backoff: Backoff,
    shutdown: ShutdownFlag,
    what: str,
    keepalive: Callable[[], None] | None = None,
    max_attempts: int | None = None,
) -> T:
    """Run ``operation`` until it succeeds, waiting with backoff after transient errors.

    Permanent errors propagate at once. ``keepalive`` runs between attempts (consumers
    use it to poll Kafka with paused partitions so the group does not evict them while
    a dependency is down). Raises :class:`Stopping` if shutdown is requested while
    waiting, and re-raises the last error after ``max_attempts`` (None: no limit).
    """
    delays = backoff.delays()
    attempt = 0
    while True:
        attempt += 1
        try:
            return operation()
        except Exception as exc:
            if not is_transient(exc) or (max_attempts is not None and attempt >= max_attempts):
                raise
            delay = next(delays)
            logger.warning(
                "dependency unavailable, retrying",
                extra={
                    "operation": what,
                    "attempt": attempt,
                    "retry_in_s": round(delay, 2),
                    "error": f"{type(exc).__name__}: {exc}"[:500],
                },
            )
            if _wait(delay, shutdown, keepalive):
                raise Stopping(what) from exc


@dataclass(frozen=True)
class Retrier:
    """A worker's retry policy, bound once: ``retry(operation, is_transient, what)``.

    Every worker retries its dependencies the same way (its backoff, its shutdown flag,
    its consumer keepalive, an optional attempt limit); only the operation changes.
    """

    backoff: Backoff
    shutdown: ShutdownFlag
    keepalive: Callable[[], None] | None = None
    max_attempts: int | None = None

    def __call__(
        self, operation: Callable[[], T], is_transient: Callable[[BaseException], bool], what: str
    ) -> T:
        return retry_until_done(
            operation,
            is_transient=is_transient,
            backoff=self.backoff,
            shutdown=self.shutdown,
            what=what,
            keepalive=self.keepalive,
            max_attempts=self.max_attempts,
        )


def _wait(delay: float, shutdown: ShutdownFlag, keepalive: Callable[[], None] | None) -> bool:
    # Keepalive at least every second so a long pause never exceeds the group session.
    remaining = delay
    while remaining > 0:
        step = min(1.0, remaining)
        if shutdown.wait(step):
            return True
        remaining -= step
        if keepalive is not None:
            try:
                keepalive()
            except Exception:  # keepalive is best effort; the retry itself reports errors
                logger.debug("keepalive failed", exc_info=True)
    return shutdown.requested
