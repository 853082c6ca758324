"""Shared fixtures of the repository-level tests (platform checks and stack integration)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ops"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    import stack

    return stack.load_env()


@pytest.fixture(scope="session")
def public_url(stack_env) -> str:
    return os.environ.get("PUBLIC_URL", stack_env["PUBLIC_URL"])


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    yield session
    session.close()
