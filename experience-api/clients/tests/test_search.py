"""The search client on the real engine (a private index per test) and on a closed port."""

import pytest

from clients import search as search_client
from clients.search import SearchUnavailable
from conftest import a_listing


class SearchClientTest:
    def test_search_answers_the_engines_raw_response(self, listings_index):
        listings_index.add(a_listing(id=5, title="Brass lamp"))
        raw = search_client.search_listings({"query": {"match": {"title": "lamp"}}})
        assert raw["hits"]["total"]["value"] == 1
        assert raw["hits"]["hits"][0]["_source"]["title"] == "Brass lamp"

    def test_query_the_engine_refuses_raises_search_unavailable(self, listings_index):
        with pytest.raises(SearchUnavailable):
            search_client.search_listings({"query": {"no_such_query": {}}})

    def test_missing_index_raises_search_unavailable_not_ready(self):
        # The test settings' alias has no index behind it.
        with pytest.raises(SearchUnavailable, match="not ready"):
            search_client.search_listings({"query": {"match_all": {}}})

    def test_health_check_reports_the_alias(self, listings_index):
        assert search_client.check_health() == f"alias {listings_index.alias!r} present"

    def test_health_check_without_the_alias_raises(self):
        with pytest.raises(SearchUnavailable, match="missing"):
            search_client.check_health()


class SearchClientUnreachableTest:
    """``search_engine_unreachable``: the client talks to a closed port."""

    def test_engine_down_raises_search_unavailable(self, search_engine_unreachable):
        with pytest.raises(SearchUnavailable):
            search_client.search_listings({"query": {"match_all": {}}})

    def test_health_check_engine_down_raises(self, search_engine_unreachable):
        with pytest.raises(SearchUnavailable):
            search_client.check_health(timeout=0.3)
