"""The batch workers inside the running stack (make up), through the public API.

The API is the stack's public door (``testsupport.api_url()``, from the stack's
settings); the run fails, never skips, when it does not answer.
"""

import pytest
import requests

import testsupport
from testsupport import create_listing, signup, unique_word, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.search]


@pytest.fixture(scope="module")
def api():
    testsupport.require_site(testsupport.public_url())
    return testsupport.api_url()


@pytest.fixture(scope="module")
def author(api):
    return signup(api, prefix="batchit")


class LiveStackTest:
    def test_created_listing_indexed_and_views_reach_search_document(self, api, author, es):
        category = requests.get(f"{api}/categories", timeout=15).json()["categories"][0]["slug"]
        word = unique_word("bt")
        created = create_listing(
            api,
            author.token,
            title=f"Batch probe {word}",
            description="probe",
            price="3.00",
            category=category,
        )
        listing_id = str(created["id"])

        wait_until(
            lambda: es.exists(index="listings", id=listing_id).body,
            60,
            message="the listing in the search index",
        )
        assert es.get(index="listings", id=listing_id)["_source"]["title"].endswith(word)

        for _ in range(3):
            assert requests.get(f"{api}/listings/{listing_id}", timeout=15).status_code == 200

        wait_until(
            lambda: es.get(index="listings", id=listing_id)["_source"]["views"] >= 3,
            60,
            message="the page views in the search document",
        )
        # the views update kept the external version, so the listing's next event applies
        assert es.get(index="listings", id=listing_id)["_version"] == 1
