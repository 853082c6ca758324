"""Helpers for tests that drive the running stack (loopback only, bounded waits)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def supervisorctl(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "ops" / "stack.py"), "ctl", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout


def program_pid(program: str) -> int:
    return int(supervisorctl("pid", program).strip())


def program_state(program: str) -> str:
    parts = supervisorctl("status", program).split()
    return parts[1] if len(parts) > 1 else "UNKNOWN"


def haproxy_stats(stats_url: str) -> dict[tuple[str, str], dict[str, str]]:
    """``{(proxy, server): row}`` from HAProxy's CSV stats."""
    body = requests.get(stats_url, timeout=5).text
    lines = body.splitlines()
    header = lines[0].lstrip("# ").split(",")
    rows = {}
    for line in lines[1:]:
        if line:
            row = dict(zip(header, line.split(","), strict=False))
            rows[(row["pxname"], row["svname"])] = row
    return rows


def haproxy_command(socket_path: str, command: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(socket_path)
        sock.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def wait_until(predicate, timeout: float, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


def unique_word(prefix: str = "zq") -> str:
    """A made-up word no demo listing contains (letters only, so analyzers keep it whole)."""
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])
    return prefix + letters


def signup(api: str, session: requests.Session | None = None) -> tuple[str, dict]:
    """Create a fresh user through the public API; returns (authenticator, user)."""
    http = session or requests
    name = unique_word("user")
    response = http.post(
        f"{api}/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": "correct-horse-42"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["authenticator"], body["user"]
