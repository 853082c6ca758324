"""HTTP sessions through HAProxy, each from a loopback address of its own.

HAProxy rate-limits credential POSTs (``RATE_LIMIT_AUTH`` per 10 s) per client address.
Every address in 127.0.0.0/8 reaches the stack's 127.0.0.1 listener on Linux, so each
session made here connects from a fresh 127.x.y.z: no suite, test or back-to-back run
inherits another's attempts, and no other client (the browser of the Selenium journeys
is on 127.0.0.1) is affected by ours. The rate-limit tests spend the bucket of their own
session on purpose. Targets that are not on loopback (compose) get a plain session.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from testsupport.settings import public_url, stack_settings

_random = random.SystemRandom()
_handed_out: set[str] = set()
_lock = threading.Lock()


def new_source_address() -> str:
    """A loopback address (127.x.y.z, never 127.0.0.1) not yet handed out by this process.

    Drawn at random from about 14 million, so two suites (processes) or two runs within
    the stick table's 60 s memory practically never meet.
    """
    with _lock:
        while True:
            octets = (_random.randint(16, 254), _random.randint(0, 255), _random.randint(1, 254))
            address = "127.{}.{}.{}".format(*octets)
            if address not in _handed_out:
                _handed_out.add(address)
                return address


class LoopbackSourceAdapter(HTTPAdapter):
    """Connect from ``source_address`` (HAProxy keys its rate limit on it)."""

    def __init__(self, source_address: str, **kwargs):
        self.source_address = source_address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source_address, 0)
        return super().init_poolmanager(*args, **kwargs)


def _on_loopback(url: str) -> bool:
    try:
        return ipaddress.ip_address(urlsplit(url).hostname or "").is_loopback
    except ValueError:
        return False


def session(base_url: str | None = None, source_address: str | None = None) -> requests.Session:
    """A ``requests.Session`` that reaches ``base_url`` (default: the public door) from a
    fresh loopback address of its own (``session.source_address``; None off loopback)."""
    http = requests.Session()
    http.source_address = None
    if _on_loopback(base_url or public_url()):
        http.source_address = source_address or new_source_address()
        http.mount("http://", LoopbackSourceAdapter(http.source_address))
    return http


def forget_auth_attempts(address: str) -> bool:
    """Drop ``address``'s entry from HAProxy's rate-limit table (the native stack's admin
    socket, ``HAPROXY_SOCKET``); False where there is no such socket (compose)."""
    path = stack_settings().get("HAPROXY_SOCKET", "")
    if not path or not Path(path).exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        sock.sendall(f"clear table public key {address}\n".encode())
        with contextlib.suppress(TimeoutError):
            while sock.recv(4096):
                pass
    return True


def attempts_until_refused(attempt: Callable[[], Any], limit: int) -> tuple[list[Any], Any]:
    """Make ``limit`` credential attempts, then up to ``limit`` more until one is refused
    with 429; the first ``limit`` results and the refusal (``AssertionError`` if none).

    ``attempt`` returns a ``requests.Response`` or a status code. HAProxy's rate is a
    sliding estimate over two periods: when a burst straddles a period boundary the
    refusal may come a few attempts after the limit, never before it.
    """

    def status(result) -> int:
        return getattr(result, "status_code", result)

    allowed = [attempt() for _ in range(limit)]
    for _ in range(limit):
        result = attempt()
        if status(result) == 429:
            return allowed, result
    raise AssertionError(
        f"no 429 after {2 * limit} attempts (first: {[status(r) for r in allowed]})"
    )
