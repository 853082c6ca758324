import json

import pytest
import responses

from marketplace_batch.models_api import (
    ModelsApiClient,
    ModelsApiError,
    ModelsApiUnavailable,
    is_transient,
)
from marketplace_batch.settings import ImproperlyConfigured

BASE = "http://models.test/api/v1"


def client(**kwargs):
    return ModelsApiClient("http://models.test", "secret", backoff_factor=0, **kwargs)


class ModelsApiClientTest:
    def test_missing_service_token_refused(self):
        with pytest.raises(ImproperlyConfigured):
            ModelsApiClient("http://models.test", "")

    @responses.activate
    def test_add_views_sends_token_and_batch_id(self):
        responses.post(f"{BASE}/listings/views", json={"updated": 2, "duplicate": False})
        assert client().add_views({1: 3, 2: 1}, batch_id="page-views:0:0-3")["updated"] == 2
        request = responses.calls[0].request
        assert request.headers["X-Service-Token"] == "secret"
        assert json.loads(request.body) == {
            "increments": {"1": 3, "2": 1},
            "batch_id": "page-views:0:0-3",
        }

    @responses.activate
    def test_server_errors_retried_then_unavailable(self):
        responses.get(f"{BASE}/listings", status=503)
        with pytest.raises(ModelsApiUnavailable):
            client(retries=2).listings_page(page=1)
        assert len(responses.calls) == 3

    @responses.activate
    def test_blip_retried_transparently(self):
        responses.get(f"{BASE}/listings", status=502)
        responses.get(f"{BASE}/listings", json={"results": [], "next": None})
        assert client().listings_page(page=1)["results"] == []

    @responses.activate
    def test_client_error_is_permanent(self):
        responses.put(f"{BASE}/recommendations", status=400, json={"error": "validation_failed"})
        with pytest.raises(ModelsApiError) as excinfo:
            client().replace_recommendations({1: [2]})
        assert excinfo.value.status == 400
        assert len(responses.calls) == 1

    @pytest.mark.parametrize("status", [401, 403, 404, 408, 429])
    @responses.activate
    def test_refusals_fixed_by_time_or_an_operator_are_transient_and_logged(self, status, caplog):
        responses.post(f"{BASE}/listings/views", status=status, json={"error": "x"})
        with pytest.raises(ModelsApiError) as excinfo:
            client().add_views({1: 1}, batch_id="b")
        assert excinfo.value.status == status
        assert is_transient(excinfo.value)
        assert [r.levelname for r in caplog.records] == ["ERROR"]

    @pytest.mark.parametrize("status", [400, 413, 422])
    @responses.activate
    def test_malformed_request_refusals_are_permanent(self, status):
        responses.post(f"{BASE}/listings/views", status=status, json={"error": "x"})
        with pytest.raises(ModelsApiError) as excinfo:
            client().add_views({1: 1}, batch_id="b")
        assert not is_transient(excinfo.value)

    def test_unreachable_is_transient(self):
        assert is_transient(ModelsApiUnavailable("down"))
        assert not is_transient(ValueError("a bug"))

    def test_connection_refused_is_unavailable(self):
        with pytest.raises(ModelsApiUnavailable):
            ModelsApiClient("http://127.0.0.1:9", "secret", retries=0).listings_page(page=1)

    @responses.activate
    def test_view_counts_chunked_by_100_ids_all_statuses(self):
        def reply(request):
            ids = request.params["ids"].split(",")
            assert "status" not in request.params
            results = [{"id": int(i), "view_count": int(i) * 2} for i in ids if int(i) != 150]
            return 200, {}, json.dumps({"results": results, "next": None})

        responses.add_callback(responses.GET, f"{BASE}/listings", callback=reply)
        counts = client().view_counts(range(1, 201))
        assert len(responses.calls) == 2
        assert counts[1] == 2 and counts[200] == 400 and 150 not in counts

    @responses.activate
    def test_replace_recommendations_keys_as_strings(self):
        responses.put(f"{BASE}/recommendations", json={"listings": 1})
        client().replace_recommendations({5: [6, 7]})
        assert json.loads(responses.calls[0].request.body) == {"recommendations": {"5": [6, 7]}}
