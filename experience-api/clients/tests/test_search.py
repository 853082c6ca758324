"""The search client on the real engine (a private index per test) and on a closed port."""

import json
from http.server import BaseHTTPRequestHandler

import pytest

from clients import search as search_client
from clients.search import SearchUnavailable
from conftest import a_listing
from mpcommon.request_id import reset_request_id, set_request_id
from testsupport import serving


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


class RecordingEngine(BaseHTTPRequestHandler):
    """A stand-in answering every search with no hits, recording what it was sent."""

    requests: list[tuple[str, str, dict]] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.requests.append((self.path, self.rfile.read(length).decode(), headers))
        body = b'{"took": 1, "timed_out": false, "hits": {"total": {"value": 0}, "hits": []}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recording_engine(settings):
    RecordingEngine.requests = []
    with serving(RecordingEngine) as base:
        settings.ELASTICSEARCH_URL = base
        search_client.reset_client()
        yield RecordingEngine.requests
    search_client.reset_client()


class SearchRequestTest:
    """What goes over the wire (the real engine cannot show the request ID header)."""

    def test_request_id_alias_and_body_reach_the_engine(self, recording_engine, settings):
        settings.SEARCH_LISTINGS_ALIAS = "listings-test/odd alias"
        token = set_request_id("req-42")
        try:
            raw = search_client.search_listings({"query": {"match_all": {}}, "size": 3})
        finally:
            reset_request_id(token)
        assert raw["hits"]["total"]["value"] == 0
        [(path, body, headers)] = recording_engine
        assert path == "/listings-test%2Fodd%20alias/_search"
        assert json.loads(body) == {"query": {"match_all": {}}, "size": 3}
        assert headers["x-request-id"] == "req-42"
        assert (
            headers["content-type"].startswith("application/") and "json" in headers["content-type"]
        )

    def test_no_request_id_outside_a_request(self, recording_engine):
        search_client.search_listings({"query": {"match_all": {}}})
        [(_, _, headers)] = recording_engine
        assert "x-request-id" not in headers
