"""Integration tests against the live stack (``make up``), through HAProxy by default."""

import os
import time
import uuid

import pytest
import requests

BASE_URL = os.environ.get("INTEGRATION_BASE_URL", "http://127.0.0.1:8000/api/v1").rstrip("/")


@pytest.fixture(scope="session")
def base_url():
    try:
        requests.get(BASE_URL + "/home", timeout=3)
    except requests.RequestException as exc:
        pytest.skip(f"live stack not reachable at {BASE_URL} ({exc}); run `make up` first")
    return BASE_URL


@pytest.fixture(scope="session")
def session_user(base_url):
    """A fresh user signed up through the public API; returns (authenticator, user)."""
    name = "it" + uuid.uuid4().hex[:10]
    response = requests.post(
        base_url + "/auth/signup",
        json={"username": name, "email": f"{name}@example.com", "password": "Integr4tion-pass!"},
        timeout=5,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["authenticator"], body["user"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def wait_for(predicate, timeout=15.0, interval=0.25):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
