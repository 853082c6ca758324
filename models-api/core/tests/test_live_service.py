"""Against the running models-api of the stack (``make up``): read-only checks.

Selected with ``-m integration``; they use MODELS_API_URL and SERVICE_TOKEN from the
stack's settings (``testsupport.stack_settings``) and write nothing. Without the running
service the run fails, never skips.
"""

from __future__ import annotations

import pytest
import requests

import testsupport

pytestmark = pytest.mark.integration

BASE = testsupport.stack_settings()["MODELS_API_URL"].rstrip("/")


@pytest.fixture(scope="module", autouse=True)
def service_is_up():
    testsupport.require_site(BASE)


@pytest.fixture(scope="module")
def live():
    token = testsupport.stack_settings().get("SERVICE_TOKEN", "")
    assert token, "SERVICE_TOKEN is not in the stack's settings (var/secrets.env)"
    session = requests.Session()
    session.headers["X-Service-Token"] = token
    yield session
    session.close()


class LiveModelsApiTest:
    def test_health_and_readiness(self):
        assert requests.get(f"{BASE}/healthz", timeout=5).text == "ok"
        ready = requests.get(f"{BASE}/readyz", timeout=5)
        assert ready.status_code == 200
        assert ready.json()["checks"]["database"]["ok"] is True

    def test_without_service_token_is_401(self):
        response = requests.get(f"{BASE}/api/v1/listings", timeout=5)
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"

    def test_seeded_catalogue_is_served(self, live):
        categories = live.get(f"{BASE}/api/v1/categories", timeout=5).json()["results"]
        assert len(categories) >= 8
        page = live.get(
            f"{BASE}/api/v1/listings",
            params={"status": "active", "ordering": "most_viewed", "page_size": 12},
            timeout=5,
        ).json()
        assert page["count"] >= 1
        views = [item["view_count"] for item in page["results"]]
        assert views == sorted(views, reverse=True)
        detail = live.get(f"{BASE}/api/v1/listings/{page['results'][0]['id']}", timeout=5)
        assert detail.status_code == 200

    def test_schema_is_served(self, live):
        schema = live.get(f"{BASE}/api/v1/schema", timeout=10).json()
        assert "/api/v1/listings" in schema["paths"]
