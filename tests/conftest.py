"""Shared fixtures of the repository-level tests (platform checks and stack integration)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import requests

import testsupport

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ops"))


@pytest.fixture(scope="session")
def live_site() -> str:
    """The public door, checked once: without the stack the run fails at once (never
    skips)."""
    url = testsupport.public_url()
    testsupport.require_site(url)
    return url


@pytest.fixture(autouse=True)
def _integration_needs_the_stack(request):
    if request.node.get_closest_marker("integration"):
        request.getfixturevalue("live_site")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """The stack's settings (ops/stack.py load_env: defaults.env < environment)."""
    return testsupport.stack_settings()


@pytest.fixture(scope="session")
def public_url() -> str:
    return testsupport.public_url()


@pytest.fixture(scope="session")
def api(public_url) -> str:
    return f"{public_url}/api/v1"


@pytest.fixture
def http() -> requests.Session:
    """A session from a loopback address of its own (its own auth rate-limit bucket)."""
    session = testsupport.session()
    yield session
    session.close()
