"""Cross-service pipelines through the public door: page views -> popularity ("hot"
ranking) and co-views -> recommendations on the listing page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from testsupport import bearer, create_listing, signup, unique_word, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _create(api: str, token: str, title: str, category: str = "electronics") -> int:
    listing = create_listing(
        api,
        token,
        title=title,
        description="Pipeline test listing.",
        price="20.00",
        category=category,
    )
    return listing["id"]


def _search_ids(api: str, word: str, sort: str) -> list[int]:
    response = requests.get(f"{api}/search", params={"q": word, "sort": sort}, timeout=10)
    if response.status_code != 200:
        return []
    return [result["id"] for result in response.json()["results"]]


def _view(api: str, listing_id: int, token: str | None = None, times: int = 1) -> None:
    headers = bearer(token) if token else {}
    with requests.Session() as session:
        for _ in range(times):
            assert (
                session.get(f"{api}/listings/{listing_id}", headers=headers, timeout=10).status_code
                == 200
            )


class HotRankingTest:
    def test_page_views_move_a_listing_up_the_hot_order(self, api):
        token = signup(api, prefix="hot").token
        word = unique_word()
        # Same text, so relevance ties; the older one starts behind on recency.
        older = _create(api, token, f"Camera {word} kit")
        newer = _create(api, token, f"Camera {word} kit")
        wait_until(
            lambda: set(_search_ids(api, word, "hot")) == {older, newer},
            30,
            interval=0.5,
            message="both listings searchable",
        )
        assert _search_ids(api, word, "hot")[0] == newer

        _view(api, older, times=40)

        wait_until(
            lambda: _search_ids(api, word, "hot")[:1] == [older],
            60,
            interval=1,
            message="the viewed listing to lead the hot order",
        )
        # Plain newest order is unaffected by views.
        assert _search_ids(api, word, "newest")[0] == newer


class CoViewRecommendationsTest:
    # The co-view job is a Spark run (up to 300 s) between two bounded waits.
    @pytest.mark.timeout(900)
    def test_listings_viewed_together_by_three_users_recommend_each_other(self, api, stack_env):
        token = signup(api, prefix="coview").token
        word = unique_word()
        first = _create(api, token, f"Tent {word} two person", "sports")
        second = _create(api, token, f"Sleeping bag {word}", "sports")
        viewers = [signup(api, prefix="viewer").token for _ in range(3)]
        for viewer in viewers:
            _view(api, first, viewer)
            _view(api, second, viewer)

        access_log = Path(stack_env["ACCESS_LOG_PATH"])
        wait_until(
            lambda: (
                access_log.exists()
                and sum(
                    line.endswith(f"\t{second}") for line in access_log.read_text().splitlines()
                )
                >= 3
            ),
            60,
            interval=0.5,
            message="the views in the access log",
        )
        # Run the periodic co-view job now instead of waiting for its next round.
        job = subprocess.run(
            [
                sys.executable,
                str(ROOT / "ops" / "stack.py"),
                "run",
                "--",
                str(ROOT / ".venv" / "bin" / "python"),
                "-m",
                "marketplace_batch",
                "recommendations",
            ],
            cwd=ROOT / "batch",
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert job.returncode == 0, job.stdout[-2000:] + job.stderr[-2000:]

        def recommended(listing_id: int) -> list[int]:
            body = requests.get(f"{api}/listings/{listing_id}", timeout=10).json()
            return [card["id"] for card in body["recommendations"]]

        # The detail page may be cached briefly; the new recommendations follow.
        wait_until(
            lambda: second in recommended(first),
            90,
            interval=2,
            message="second recommended on first's page",
        )
        assert first in recommended(second)
