"""Processes of the machine, as the live suites look at them."""

from __future__ import annotations

from pathlib import Path


def process_running(pid: int) -> bool:
    """``pid`` exists and is not a zombie (exited, waiting for its parent to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
