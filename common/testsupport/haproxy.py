"""The repository's own haproxy/haproxy.cfg, run in a private HAProxy for a test.

Free loopback ports, a socket and a log of its own, every backend pointed where the test
says (usually at a stand-in from ``testsupport.serving``): the suites about HAProxy's
rules (the edge micro-cache, edge assembly) prove them on answers the real tiers never
give, without touching the running stack.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from testsupport.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PrivateHaproxy:
    url: str  # the public door
    stats_url: str  # the stats frontend (http://127.0.0.1:<port>)
    log: Path

    @property
    def stats(self) -> str:
        return f"{self.stats_url}/stats;csv"


@contextlib.contextmanager
def private_haproxy(
    folder: Path, *, ready_paths: tuple[str, ...] = ("/healthz",), **settings: str
) -> Iterator[PrivateHaproxy]:
    """haproxy.cfg with ``settings`` as its environment (WEB1_ADDR, EXP_ADDR, ...), on
    free ports, its socket and log in ``folder``; yields once every one of
    ``ready_paths`` answers 200 through it (the backends behind them are up). Stopped
    (terminated, then killed) on the way out."""
    port, stats_port = free_port(), free_port()
    env = {
        **os.environ,
        "BIND_ADDRESS": "127.0.0.1",
        "HAPROXY_PORT": str(port),
        "HAPROXY_STATS_PORT": str(stats_port),
        "HAPROXY_SOCKET": str(folder / "haproxy.sock"),
        "HAPROXY_ERRORS_DIR": str(ROOT / "haproxy" / "errors"),
        **settings,
    }
    log_path = folder / "haproxy.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - the repository's haproxy.cfg
            [HAPROXY, "-db", "-f", str(ROOT / "haproxy" / "haproxy.cfg")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            assert process.poll() is None, f"HAProxy exited: {log_path.read_text()[-2000:]}"
            return all(
                requests.get(url + path, timeout=2).status_code == 200 for path in ready_paths
            )

        try:
            wait_until(
                ready,
                30,
                interval=0.1,
                message="the private HAProxy to answer",
                ignoring=(requests.RequestException,),
            )
            yield PrivateHaproxy(url, f"http://127.0.0.1:{stats_port}", log_path)
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
