"""The one polling wait of the live suites."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(
    condition: Callable[[], Any],
    timeout: float,
    interval: float = 0.25,
    message: str = "condition",
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """Call ``condition`` every ``interval`` seconds until it returns something truthy
    (returned) or ``timeout`` seconds have passed (``AssertionError`` naming ``message``
    and the last result). Exceptions in ``ignoring`` count as a falsy result.

    Deadlines are meant to be generous: a wait ends as soon as its condition holds, so
    a long deadline only costs time when the test is failing anyway.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            last = condition()
        except ignoring as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {message} (last: {last!r})"
            )
        time.sleep(interval)
