"""The search endpoint on the real engine (the private index of ``engine``, holding the
lamp listing): parameters, validation, what is sent, and the engine being unavailable."""

import pytest
import responses

from accounts.tests.test_viewer import asked_ids, assert_private, stub_viewer
from conftest import MODELS, USER, a_photo, calls_to
from listings.cards import CARD_KEYS
from search.tests.conftest import lamp

URL = "/api/v1/search"


class SearchEndpointTest:
    def test_search_returns_results_total_pages_and_facets(self, api, engine):
        response = api.get(URL, {"q": "lamp", "category": "home", "sort": "price_asc"})
        assert response.status_code == 200
        body = response.json()
        assert body["query"] == {
            "q": "lamp",
            "category": "home",
            "min_price": None,
            "max_price": None,
            "sort": "price_asc",
            "page": 1,
        }
        assert (body["total"], body["page"], body["page_size"], body["pages"]) == (1, 1, 20, 1)
        assert body["results"][0]["id"] == 1
        assert body["facets"]["category"] == [{"slug": "home", "name": "Home & Garden", "count": 1}]
        assert engine.bodies[0]["post_filter"] == {"term": {"category": "home"}}

    def test_result_cards_carry_the_cover_of_the_search_document(self, api, engine):
        cover = a_photo(position=0)
        engine.index.add(lamp(id=2, title="Brass lamp with shade", photos=[cover]))
        results = api.get(URL, {"q": "lamp"}).json()["results"]
        covers = {card["id"]: card["cover"] for card in results}
        assert covers == {1: None, 2: cover}
        assert set(results[0]) == {*CARD_KEYS, "highlight"}

    def test_empty_query_browses_with_filters(self, api, engine):
        response = api.get(URL, {"min_price": "10", "max_price": "20"})
        assert response.status_code == 200
        assert response.json()["query"]["min_price"] == "10.00"
        filters = engine.bodies[0]["query"]["bool"]["filter"]
        assert {"range": {"price": {"gte": 10.0, "lte": 20.0}}} in filters

    def test_trailing_slash_is_accepted_without_redirect(self, api, engine):
        assert api.get(URL + "/", {"q": "lamp"}).status_code == 200

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"min_price": "30", "max_price": "10"}, "min_price"),
            ({"min_price": "cheap"}, "min_price"),
            ({"max_price": "-1"}, "max_price"),
            ({"sort": "random"}, "sort"),
            ({"page": "0"}, "page"),
            ({"page": "x"}, "page"),
            ({"page": "51"}, "page"),
            ({"category": "no spaces!"}, "category"),
        ],
    )
    def test_bad_parameter_is_400_for_that_field(self, api, engine, params, field):
        response = api.get(URL, params)
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "validation_failed"
        assert field in body["fields"]
        assert engine.bodies == []


class SearchEngineUnavailableTest:
    def test_engine_unreachable_is_503_search_unavailable(self, api, search_engine_unreachable):
        response = api.get(URL, {"q": "lamp"})
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] == "search_unavailable"

    def test_index_missing_is_503_not_ready_yet(self, api):
        # The engine answers, but no index is behind the alias (the test settings' alias).
        response = api.get(URL, {"q": "lamp"})
        assert response.status_code == 503
        assert response.json() == {
            "error": "search_unavailable",
            "detail": "Search is not ready yet, try again shortly.",
        }


class SearchViewerTest:
    """With a Bearer the answer also has the viewer's part (accounts.viewer), so a
    logged-in search page is one call; the shared cached results never hold it."""

    def test_anonymous_search_has_no_viewer_fields_and_no_cache_control(self, api, engine):
        response = api.get(URL, {"q": "lamp"})
        assert response.status_code == 200
        assert not {"viewer", "favourited", "viewer_error"} & set(response.json())
        assert "Cache-Control" not in response

    def test_signed_in_search_has_the_viewer_and_the_hearts_of_its_results(
        self, signed_in, models, engine
    ):
        engine.index.add(lamp(id=2, title="Brass lamp with shade"))
        stub_viewer(models, favourited=[2])
        response = signed_in.get(URL, {"q": "lamp"})
        assert response.status_code == 200
        body = response.json()
        assert body["viewer"] == {**USER, "unread_messages": 2}
        assert body["favourited"] == [2]
        assert sorted(c["id"] for c in body["results"]) == [1, 2]
        assert sorted(asked_ids(models)[0].split(",")) == ["1", "2"]
        assert_private(response)

    def test_the_cached_results_hold_nothing_of_the_viewer(self, signed_in, models, engine, api):
        stub_viewer(models)
        signed_in.get(URL, {"q": "lamp"})
        api.credentials()  # the same client, now anonymous: the cached page
        body = api.get(URL, {"q": "lamp"}).json()
        assert not {"viewer", "favourited", "viewer_error"} & set(body)
        assert [c["id"] for c in body["results"]] == [1]

    def test_a_refused_authenticator_is_a_null_viewer_the_results_still_served(
        self, api, models, engine
    ):
        models.add(responses.POST, MODELS + "/authenticators/resolve", status=401, json={})
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        response = api.get(URL, {"q": "lamp"})
        assert response.status_code == 200
        body = response.json()
        assert (body["viewer"], body["viewer_error"], body["favourited"]) == (
            None,
            "not_authenticated",
            None,
        )
        assert [c["id"] for c in body["results"]] == [1]

    def test_bad_parameters_are_400_before_any_authentication(self, api, models, engine):
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        response = api.get(URL, {"page": "0"})
        assert response.status_code == 400
        assert calls_to(models, "POST", "/authenticators/resolve") == []
