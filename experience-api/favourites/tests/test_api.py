"""The viewer's favourites through the public API, models-api stubbed over HTTP."""

from __future__ import annotations

import re

import pytest
import responses
from django.core.cache import cache

from caching import cache as page_cache
from conftest import MODELS, TOKEN, a_listing, a_page, a_photo, calls_to
from favourites.serializers import MAX_IDS_ASKED
from listings.cards import CARD_KEYS
from mpcommon.account_rules import FAVOURITES_PAGE_SIZE

FAVOURITES = re.compile(re.escape(MODELS + "/favourites") + r"(\?.*)?$")
FAVOURITE_IDS = re.compile(re.escape(MODELS + "/favourites/ids") + r"(\?.*)?$")


def state(listing_id: int, favourited: bool, count: int) -> dict:
    return {"listing": listing_id, "favourited": favourited, "count": count}


def assert_not_cacheable(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


class FavouritesPageTest:
    def test_page_is_cards_with_total_page_and_pages(self, signed_in, models):
        cover = a_photo()
        listings = [a_listing(id=5, favourite_count=2, photos=[cover]), a_listing(id=4)]
        models.add(
            responses.GET,
            FAVOURITES,
            json=a_page(listings, count=FAVOURITES_PAGE_SIZE + 1),
            match=[
                responses.matchers.query_param_matcher(
                    {"page": "2", "page_size": str(FAVOURITES_PAGE_SIZE)}
                )
            ],
        )
        response = signed_in.get("/api/v1/favourites", {"page": 2})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"results", "total", "page", "pages"}
        assert (body["total"], body["page"], body["pages"]) == (FAVOURITES_PAGE_SIZE + 1, 2, 2)
        assert [c["id"] for c in body["results"]] == [5, 4]  # models-api's order kept
        assert all(set(c) == set(CARD_KEYS) for c in body["results"])
        assert body["results"][0]["cover"] == cover
        assert body["results"][1]["cover"] is None
        assert calls_to(models, "GET", "/favourites")[0].request.headers["X-Authenticator"] == TOKEN
        assert_not_cacheable(response)

    def test_no_favourites_is_one_empty_page(self, signed_in, models):
        models.add(responses.GET, FAVOURITES, json=a_page([]))
        body = signed_in.get("/api/v1/favourites").json()
        assert body == {"results": [], "total": 0, "page": 1, "pages": 1}

    @pytest.mark.parametrize("page", ["0", "x", "10001"])
    def test_bad_page_is_400_without_calling_models(self, signed_in, models, page):
        response = signed_in.get("/api/v1/favourites", {"page": page})
        assert response.status_code == 400
        assert "page" in response.json()["fields"]
        assert calls_to(models, "GET", "/favourites") == []

    def test_page_past_the_end_passes_models_api_404_through(self, signed_in, models):
        models.add(responses.GET, FAVOURITES, status=404, json={"error": "not_found"})
        assert signed_in.get("/api/v1/favourites", {"page": 9}).status_code == 404

    def test_anonymous_is_401(self, api, models):
        assert api.get("/api/v1/favourites").status_code == 401
        assert len(models.calls) == 0

    def test_a_failed_read_is_retried(self, signed_in, models):
        models.add(responses.GET, FAVOURITES, status=503)
        models.add(responses.GET, FAVOURITES, json=a_page([]))
        assert signed_in.get("/api/v1/favourites").status_code == 200
        assert len(calls_to(models, "GET", "/favourites")) == 2


class FavouriteIdsTest:
    def test_ids_are_forwarded_once_each_and_the_favourited_ones_answered(self, signed_in, models):
        models.add(
            responses.GET,
            FAVOURITE_IDS,
            json={"favourited": [2]},
            match=[responses.matchers.query_param_matcher({"listings": "1,2,3"})],
        )
        response = signed_in.get("/api/v1/favourites/ids", {"listings": "1, 2,3,2"})
        assert response.status_code == 200
        assert response.json() == {"favourited": [2]}
        (call,) = calls_to(models, "GET", "/favourites/ids")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert_not_cacheable(response)

    def test_no_ids_asks_nothing(self, signed_in, models):
        response = signed_in.get("/api/v1/favourites/ids", {"listings": ""})
        assert response.json() == {"favourited": []}
        assert calls_to(models, "GET", "/favourites/ids") == []

    def test_the_most_ids_allowed_are_forwarded(self, signed_in, models):
        models.add(responses.GET, FAVOURITE_IDS, json={"favourited": []})
        ids = ",".join(str(i) for i in range(1, MAX_IDS_ASKED + 1))
        assert signed_in.get("/api/v1/favourites/ids", {"listings": ids}).status_code == 200

    @pytest.mark.parametrize(
        "listings",
        [None, "a,b", "1,,2", "0", "-1", "1.5", "99999999999999999999",
         ",".join(str(i) for i in range(1, MAX_IDS_ASKED + 2))],
    )  # fmt: skip
    def test_bad_ids_are_400_on_listings_without_calling_models(self, signed_in, models, listings):
        query = {} if listings is None else {"listings": listings}
        response = signed_in.get("/api/v1/favourites/ids", query)
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"listings"}
        assert calls_to(models, "GET", "/favourites/ids") == []

    def test_anonymous_is_401(self, api, models):
        assert api.get("/api/v1/favourites/ids", {"listings": "1"}).status_code == 401


class FavouriteTest:
    def test_put_favourites_as_the_user_and_answers_the_state(self, signed_in, models):
        models.add(responses.PUT, f"{MODELS}/favourites/5", json=state(5, True, 3))
        response = signed_in.put("/api/v1/favourites/5")
        assert response.status_code == 200
        assert response.json() == state(5, True, 3)
        (call,) = calls_to(models, "PUT", "/favourites/5")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert_not_cacheable(response)

    def test_delete_unfavourites_and_answers_the_state(self, signed_in, models):
        models.add(responses.DELETE, f"{MODELS}/favourites/5", json=state(5, False, 2))
        response = signed_in.delete("/api/v1/favourites/5")
        assert response.status_code == 200
        assert response.json() == state(5, False, 2)
        assert (
            calls_to(models, "DELETE", "/favourites/5")[0].request.headers["X-Authenticator"]
            == TOKEN
        )

    def test_favouriting_is_not_a_listing_change_so_no_cached_page_is_dropped(
        self, signed_in, models
    ):
        page_cache.invalidate(page_cache.listing_namespace(5), page_cache.HOME)
        generations = cache.get_many(["gen:listing:5", "gen:home", "gen:search"])
        models.add(responses.PUT, f"{MODELS}/favourites/5", json=state(5, True, 1))
        models.add(responses.DELETE, f"{MODELS}/favourites/5", json=state(5, False, 0))
        signed_in.put("/api/v1/favourites/5")
        signed_in.delete("/api/v1/favourites/5")
        assert cache.get_many(["gen:listing:5", "gen:home", "gen:search"]) == generations

    @pytest.mark.parametrize("method", ["put", "delete"])
    def test_unknown_listing_passes_models_api_404_through(self, signed_in, models, method):
        models.add(
            getattr(responses, method.upper()),
            f"{MODELS}/favourites/5",
            status=404,
            json={"error": "not_found", "detail": "No such listing."},
        )
        response = getattr(signed_in, method)("/api/v1/favourites/5")
        assert (response.status_code, response.json()["error"]) == (404, "not_found")

    def test_own_listing_passes_models_api_403_through(self, signed_in, models):
        models.add(
            responses.PUT,
            f"{MODELS}/favourites/5",
            status=403,
            json={"error": "own_listing", "detail": "You cannot favourite your own listing."},
        )
        response = signed_in.put("/api/v1/favourites/5")
        assert (response.status_code, response.json()["error"]) == (403, "own_listing")

    @pytest.mark.parametrize("method", ["PUT", "DELETE"])
    def test_idempotent_writes_are_retried(self, signed_in, models, method):
        models.add(method, f"{MODELS}/favourites/5", status=503)
        models.add(method, f"{MODELS}/favourites/5", json=state(5, method == "PUT", 1))
        assert getattr(signed_in, method.lower())("/api/v1/favourites/5").status_code == 200
        assert len(calls_to(models, method, "/favourites/5")) == 2

    def test_anonymous_is_401(self, api, models):
        assert api.put("/api/v1/favourites/5").status_code == 401
        assert api.delete("/api/v1/favourites/5").status_code == 401
        assert len(models.calls) == 0

    def test_post_is_405(self, signed_in):
        assert signed_in.post("/api/v1/favourites/5").status_code == 405


class FavouriteIdsCacheTest:
    """The hearts' state is cached per user and set of ids; a favourite or unfavourite
    through this API is seen by the very next page."""

    def ids(self, models, favourited):
        models.add(responses.GET, FAVOURITE_IDS, json={"favourited": favourited})

    def test_the_same_ids_again_ask_models_api_once(self, signed_in, models):
        self.ids(models, [2])
        answers = [signed_in.get("/api/v1/favourites/ids", {"listings": "1,2"}) for _ in "ab"]
        assert [a.json() for a in answers] == [{"favourited": [2]}] * 2
        assert len(calls_to(models, "GET", "/favourites/ids")) == 1

    def test_other_ids_are_asked_apart(self, signed_in, models):
        self.ids(models, [])
        signed_in.get("/api/v1/favourites/ids", {"listings": "1,2"})
        signed_in.get("/api/v1/favourites/ids", {"listings": "1,3"})
        assert len(calls_to(models, "GET", "/favourites/ids")) == 2

    @pytest.mark.parametrize("method", ["put", "delete"])
    def test_a_favourite_or_unfavourite_is_seen_by_the_next_page(self, signed_in, models, method):
        self.ids(models, [])
        models.add(
            getattr(responses, method.upper()), f"{MODELS}/favourites/2", json=state(2, True, 1)
        )
        signed_in.get("/api/v1/favourites/ids", {"listings": "1,2"})
        getattr(signed_in, method)("/api/v1/favourites/2")
        models.replace(responses.GET, FAVOURITE_IDS, json={"favourited": [2]})

        after = signed_in.get("/api/v1/favourites/ids", {"listings": "1,2"})

        assert after.json() == {"favourited": [2]}
        assert len(calls_to(models, "GET", "/favourites/ids")) == 2

    def test_a_failed_write_still_forgets_the_cached_state(self, signed_in, models):
        self.ids(models, [])
        models.add(responses.PUT, f"{MODELS}/favourites/2", status=503, json={"error": "x"})
        signed_in.get("/api/v1/favourites/ids", {"listings": "2"})
        signed_in.put("/api/v1/favourites/2")  # may have been written before the failure
        signed_in.get("/api/v1/favourites/ids", {"listings": "2"})
        assert len(calls_to(models, "GET", "/favourites/ids")) == 2
