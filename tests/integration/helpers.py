"""Helpers of the stack tests that act on the stack itself: supervisor programs and
HAProxy's stats and admin socket. What every live suite needs (sign-up, names, waits,
sessions from their own loopback address) is in ``testsupport`` (common/testsupport)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def supervisorctl(*args: str, check: bool = True) -> str:
    """Run ``supervisorctl`` on the stack's supervisord; its output.

    With ``check`` (the default) a non-zero exit or an ``ERROR`` in the answer (e.g.
    ``ERROR (not running)``, which supervisorctl may report with exit 0) fails the test:
    a drill whose stop did not happen must not pass.
    """
    result = subprocess.run(
        [sys.executable, str(ROOT / "ops" / "stack.py"), "ctl", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    if check and (result.returncode != 0 or "ERROR" in output):
        raise AssertionError(
            f"supervisorctl {' '.join(args)} failed (exit {result.returncode}): {output.strip()}"
        )
    return result.stdout


def stop_program(program: str) -> None:
    """Stop a running supervisor program (``group:name``); fails unless it stopped."""
    output = supervisorctl("stop", program)
    assert f"{program.split(':')[-1]}: stopped" in output, output
    assert program_state(program) == "STOPPED", supervisorctl("status", program, check=False)


def start_program(program: str) -> None:
    """Start a stopped supervisor program; fails unless supervisord started it."""
    output = supervisorctl("start", program)
    assert f"{program.split(':')[-1]}: started" in output, output


def program_pid(program: str) -> int:
    pid = int(supervisorctl("pid", program).strip())
    assert pid > 0, f"{program} is not running"
    return pid


def program_state(program: str) -> str:
    # `status` exits non-zero for a program that is not running: that is an answer here.
    parts = supervisorctl("status", program, check=False).split()
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
