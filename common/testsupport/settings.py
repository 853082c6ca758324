"""Where the running stack is: the same settings ``make up`` started it with."""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import pytest
import requests

# common/testsupport/settings.py -> the repository (absent in the Selenium container).
ROOT = Path(__file__).resolve().parents[2]
STACK_PY = ROOT / "ops" / "stack.py"


@functools.cache
def stack_settings() -> dict[str, str]:
    """The stack's settings: ``ops/stack.py``'s ``load_env()`` (``ops/defaults.env`` <
    environment < derived values) where this checkout has it, else the environment.

    Under ``ops/stack.py run`` (``make test``) the environment already holds them all;
    a plain ``pytest`` in a checkout derives the same values the same way.
    """
    if not STACK_PY.exists():
        return dict(os.environ)
    spec = importlib.util.spec_from_file_location("marketplace_stack_settings", STACK_PY)
    stack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stack)
    return stack.load_env()


def public_url() -> str:
    """The public door (HAProxy): ``BASE_URL`` when a suite is pointed elsewhere (the
    compose network's ``http://haproxy:8000``), else the stack's ``PUBLIC_URL``."""
    url = os.environ.get("BASE_URL") or stack_settings().get("PUBLIC_URL")
    if not url:
        raise RuntimeError("neither BASE_URL nor the stack's PUBLIC_URL is known")
    return url.rstrip("/")


def api_url() -> str:
    """The public JSON API through the door."""
    return public_url() + "/api/v1"


def mail_web_url() -> str:
    """MailDev's web page and REST API: ``MAIL_WEB_URL`` when a suite is pointed elsewhere
    (the compose network's ``http://mail:1080``), else the stack's (``MAIL_WEB_PORT``)."""
    url = os.environ.get("MAIL_WEB_URL") or stack_settings().get("MAIL_WEB_URL")
    if not url:
        raise RuntimeError("neither MAIL_WEB_URL nor the stack's MAIL_WEB_URL is known")
    return url.rstrip("/")


def require_site(base_url: str, path: str = "/healthz") -> None:
    """End the run with a failure (never a skip) when ``base_url`` does not answer 200."""
    url = base_url.rstrip("/") + path
    try:
        status = requests.get(url, timeout=10).status_code
    except requests.RequestException as exc:
        pytest.exit(f"the stack is not reachable at {url} ({exc}); run `make up`", 2)
    if status != 200:
        pytest.exit(f"{url} answered {status}; run `make up` (or `make status`)", 2)
