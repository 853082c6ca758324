import pytest

from clients import search as search_client
from clients.search import SearchUnavailable


class SearchClientTest:
    """ELASTICSEARCH_URL=http://127.0.0.1:1 in the test settings: the engine is down."""

    def test_engine_down_raises_search_unavailable(self):
        with pytest.raises(SearchUnavailable):
            search_client.search_listings({"query": {"match_all": {}}})

    def test_health_check_engine_down_raises(self):
        with pytest.raises(SearchUnavailable):
            search_client.check_health(timeout=0.3)
