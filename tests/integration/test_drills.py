"""Failure drills: engines stopped and restarted under the running stack.

Each drill restores what it stopped (in `finally`), and every wait is bounded.
"""

from __future__ import annotations

import pytest
import requests

from integration.helpers import signup, supervisorctl, unique_word, wait_until

pytestmark = pytest.mark.integration


def _search_finds(api: str, word: str) -> bool:
    try:
        response = requests.get(f"{api}/search", params={"q": word}, timeout=5)
    except requests.RequestException:
        return False
    return response.status_code == 200 and any(
        word in result["title"] for result in response.json()["results"]
    )


def _create_listing(api: str, token: str, title: str) -> requests.Response:
    return requests.post(
        f"{api}/listings",
        json={
            "title": title,
            "description": "Drill listing, please ignore.",
            "price": "12.50",
            "category": "electronics",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


@pytest.fixture(scope="module")
def api(public_url):
    return f"{public_url}/api/v1"


@pytest.fixture(scope="module")
def author(api):
    return signup(api)[0]


class KafkaOutageTest:
    def test_listing_created_while_kafka_is_down_becomes_searchable_after_restart(
        self, api, author
    ):
        word = unique_word()
        supervisorctl("stop", "infra:kafka")
        try:
            response = _create_listing(api, author, f"Vintage {word} radio")
            assert response.status_code == 201, response.text
            assert not _search_finds(api, word)
        finally:
            supervisorctl("start", "infra:kafka")
        wait_until(
            lambda: _search_finds(api, word),
            60,
            interval=1,
            message=f"listing '{word}' searchable after Kafka restart",
        )


class SearchOutageTest:
    def test_search_gives_503_json_while_home_keeps_working(self, api, public_url):
        supervisorctl("stop", "infra:search")
        try:
            search = requests.get(f"{api}/search", params={"q": "lamp"}, timeout=15)
            assert search.status_code == 503
            assert search.json()["error"] == "search_unavailable"
            assert requests.get(f"{api}/home", timeout=15).status_code == 200
            assert requests.get(f"{public_url}/", timeout=15).status_code == 200
            page = requests.get(f"{public_url}/search/", params={"q": "lamp"}, timeout=15)
            assert "unavailable" in page.text.lower()
        finally:
            supervisorctl("start", "infra:search")
        wait_until(
            lambda: (
                requests.get(f"{api}/search", params={"q": "lamp"}, timeout=5).status_code == 200
            ),
            60,
            interval=1,
            message="search back",
        )

    def test_listing_created_while_search_is_down_becomes_searchable(self, api, author):
        word = unique_word()
        supervisorctl("stop", "infra:search")
        try:
            assert _create_listing(api, author, f"Antique {word} clock").status_code == 201
        finally:
            supervisorctl("start", "infra:search")
        wait_until(
            lambda: _search_finds(api, word),
            60,
            interval=1,
            message=f"listing '{word}' searchable after the engine restart",
        )
