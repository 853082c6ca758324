"""The search endpoint on the real engine (the private index of ``engine``, holding the
lamp listing): parameters, validation, what is sent, and the engine being unavailable."""

import pytest

from conftest import a_photo
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
