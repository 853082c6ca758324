"""The batch workers inside the running stack (make up), through the public API."""

import os
import secrets
import time

import pytest
import requests

pytestmark = [pytest.mark.integration, pytest.mark.search]

API = os.environ.get("BENCH_API_URL", "http://127.0.0.1:8000/api/v1")


def wait_for(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return check()


@pytest.fixture(scope="module")
def session():
    http = requests.Session()
    suffix = secrets.token_hex(4)
    signup = http.post(
        f"{API}/auth/signup",
        json={
            "username": f"batch_it_{suffix}",
            "email": f"batch_it_{suffix}@example.com",
            "password": secrets.token_urlsafe(12) + "Aa1!",
        },
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    http.headers["Authorization"] = f"Bearer {signup.json()['authenticator']}"
    return http


class LiveStackTest:
    def test_created_listing_indexed_and_views_reach_search_document(self, session, es):
        category = session.get(f"{API}/categories", timeout=10).json()["categories"][0]["slug"]
        word = "bt" + secrets.token_hex(5) + "x"
        created = session.post(
            f"{API}/listings",
            json={
                "title": f"Batch probe {word}",
                "description": "probe",
                "price": "3.00",
                "category": category,
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        listing_id = str(created.json()["id"])

        def indexed():
            return es.exists(index="listings", id=listing_id).body

        assert wait_for(indexed), "listing never reached the search index"
        assert es.get(index="listings", id=listing_id)["_source"]["title"].endswith(word)

        for _ in range(3):
            assert session.get(f"{API}/listings/{listing_id}", timeout=10).status_code == 200

        def views():
            return es.get(index="listings", id=listing_id)["_source"]["views"] >= 3

        assert wait_for(views), "page views never reached the search document"
        # the views update kept the external version, so the listing's next event applies
        assert es.get(index="listings", id=listing_id)["_version"] == 1
