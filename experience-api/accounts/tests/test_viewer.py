"""The viewer's part of the page answers (home, listing detail): who is looking and which
hearts are filled, in the same call as the page (accounts.viewer). models-api is stubbed
over HTTP; Redis is the real local one."""

from __future__ import annotations

import re

import pytest
import requests
import responses
from django.core.cache import cache
from django_redis.cache import RedisCache

from caching import cache as page_cache
from conftest import MODELS, TOKEN, USER, a_listing, a_page, calls_to, listings_url
from favourites.selectors import forget_favourite_ids, ids_key

FAVOURITE_IDS = re.compile(re.escape(MODELS + "/favourites/ids") + r"(\?.*)?$")
ME = {**USER, "unread_messages": 2}


@pytest.fixture(autouse=True)
def no_page_views(monkeypatch):
    monkeypatch.setattr("listings.api.publish_page_view", lambda *args: True)


def stub_home(models, newest=(1, 2), popular=(2, 3)):
    for ordering, ids in (("newest", newest), ("most_viewed", popular)):
        models.add(
            responses.GET,
            listings_url(),
            json=a_page([a_listing(id=i) for i in ids]),
            match=[
                responses.matchers.query_param_matcher({"ordering": ordering}, strict_match=False)
            ],
        )


def stub_detail(models, listing_id=5, recommended=(8, 9), seller_id=99):
    seller = {"id": seller_id, "username": "bob", "display_name": "Bob"}
    models.add(
        responses.GET,
        f"{MODELS}/listings/{listing_id}",
        json=a_listing(id=listing_id, seller=seller),
    )
    models.add(
        responses.GET,
        f"{MODELS}/listings/{listing_id}/recommendations",
        json={"listing_id": listing_id, "recommended": list(recommended), "updated_at": None},
    )
    models.add(responses.GET, listings_url(), json=a_page([a_listing(id=i) for i in recommended]))


def stub_viewer(models, favourited=(2,), unread=2):
    models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": unread})
    models.add(responses.GET, FAVOURITE_IDS, json={"favourited": list(favourited)})


def asked_ids(models) -> list[str]:
    return [c.request.params["listings"] for c in calls_to(models, "GET", "/favourites/ids")]


@pytest.fixture
def redis_round_trips(monkeypatch) -> list[str]:
    """The cache reads of the test (each a real Redis round trip), by method."""
    made: list[str] = []
    for name in ("get", "get_many"):
        real = getattr(RedisCache, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            made.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(RedisCache, name, counted)
    return made


def assert_private(response) -> None:
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


class HomeViewerTest:
    def test_anonymous_home_has_no_viewer_fields_and_no_cache_control(self, api, models):
        stub_home(models)
        response = api.get("/api/v1/home")
        assert response.status_code == 200
        assert set(response.json()) == {"newest", "popular"}
        assert "Cache-Control" not in response

    def test_signed_in_home_has_the_viewer_and_the_hearts_of_its_cards(self, signed_in, models):
        stub_home(models)
        stub_viewer(models, favourited=[2])
        response = signed_in.get("/api/v1/home")
        assert response.status_code == 200
        body = response.json()
        assert body["viewer"] == ME
        assert body["favourited"] == [2]
        assert "viewer_error" not in body
        assert asked_ids(models) == ["1,2,3"]  # each listing of the page once, in order
        assert_private(response)

    def test_never_cache_headers_are_those_of_the_private_endpoints(self, signed_in, models):
        stub_home(models)
        stub_viewer(models)
        page = signed_in.get("/api/v1/home")
        me = signed_in.get("/api/v1/me")
        for header in ("Cache-Control", "Pragma"):
            assert page[header] == me[header]
        assert "Expires" in page

    def test_the_unread_count_and_the_hearts_are_cached_as_on_their_own_endpoints(
        self, signed_in, models
    ):
        stub_home(models)
        stub_viewer(models, favourited=[2], unread=5)
        first = signed_in.get("/api/v1/home").json()
        second = signed_in.get("/api/v1/home").json()
        assert first["viewer"]["unread_messages"] == second["viewer"]["unread_messages"] == 5
        assert first["favourited"] == second["favourited"] == [2]
        assert len(calls_to(models, "GET", "/threads/unread")) == 1
        assert len(calls_to(models, "GET", "/favourites/ids")) == 1
        # ... and shared with them: /me and /favourites/ids ask models-api nothing more.
        assert signed_in.get("/api/v1/me").json()["unread_messages"] == 5
        assert signed_in.get("/api/v1/favourites/ids", {"listings": "1,2,3"}).json() == {
            "favourited": [2]
        }
        assert len(calls_to(models, "GET", "/threads/unread")) == 1
        assert len(calls_to(models, "GET", "/favourites/ids")) == 1

    def test_a_cached_logged_in_page_is_four_redis_reads(
        self, signed_in, models, redis_round_trips
    ):
        stub_home(models)
        stub_viewer(models)
        signed_in.get("/api/v1/home")  # fills every cache
        redis_round_trips.clear()
        assert signed_in.get("/api/v1/home").json()["viewer"]["id"] == USER["id"]
        # The page's generation and the page; then the authenticator's entry, and its
        # stale mark with the viewer's unread count, hearts' generation and hearts.
        assert redis_round_trips == ["get_many", "get", "get", "get_many"]
        assert len(calls_to(models, "POST", "/authenticators/resolve")) == 1

    def test_hearts_asked_under_a_replaced_generation_do_not_count(self, signed_in, models):
        stub_home(models)
        stub_viewer(models, favourited=[2])
        signed_in.get("/api/v1/home")
        stored = cache.get(ids_key(USER["id"], [1, 2, 3]))
        assert stored["favourited"] == [2]
        # A read that raced a favourite: its answer is there, its generation is not.
        forget_favourite_ids(USER["id"])
        cache.set(ids_key(USER["id"], [1, 2, 3]), stored)
        models.replace(responses.GET, FAVOURITE_IDS, json={"favourited": [2, 3]})
        assert signed_in.get("/api/v1/home").json()["favourited"] == [2, 3]

    def test_the_viewer_is_what_me_answers(self, signed_in, models):
        stub_home(models)
        stub_viewer(models)
        page_viewer = signed_in.get("/api/v1/home").json()["viewer"]
        assert page_viewer == signed_in.get("/api/v1/me").json()

    def test_the_shared_cached_page_holds_nothing_of_the_viewer(self, signed_in, models):
        stub_home(models)
        stub_viewer(models)
        signed_in.get("/api/v1/home")
        stored = cache.get(page_cache.current_key(page_cache.HOME))
        assert set(stored["value"]) == {"newest", "popular"}
        assert USER["email"] not in str(stored)
        assert "unread_messages" not in str(stored)
        assert "favourited" not in str(stored)

    def test_a_refused_authenticator_is_a_null_viewer_with_its_reason(self, api, models):
        stub_home(models)
        models.add(responses.POST, MODELS + "/authenticators/resolve", status=401, json={})
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        response = api.get("/api/v1/home")
        assert response.status_code == 200
        body = response.json()
        assert body["viewer"] is None
        assert body["viewer_error"] == "not_authenticated"
        assert body["favourited"] is None
        assert [c["id"] for c in body["newest"]] == [1, 2]
        assert calls_to(models, "GET", "/favourites/ids") == []
        assert_private(response)

    def test_a_malformed_bearer_is_a_null_viewer_without_asking_models_api(self, api, models):
        stub_home(models)
        api.credentials(HTTP_AUTHORIZATION="Bearer")
        body = api.get("/api/v1/home").json()
        assert (body["viewer"], body["viewer_error"]) == (None, "not_authenticated")
        assert calls_to(models, "POST", "/authenticators/resolve") == []

    def test_an_unverifiable_authenticator_is_a_null_viewer_the_page_still_served(
        self, api, models
    ):
        stub_home(models)
        models.add(
            responses.POST, MODELS + "/authenticators/resolve", body=requests.ConnectionError()
        )
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        response = api.get("/api/v1/home")
        assert response.status_code == 200
        assert response.json()["viewer"] is None
        assert response.json()["viewer_error"] == "models_api_unavailable"

    def test_the_hearts_unknown_is_null_and_the_page_still_served(self, signed_in, models):
        stub_home(models)
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 0})
        models.add(responses.GET, FAVOURITE_IDS, status=503, json={"error": "x"})
        response = signed_in.get("/api/v1/home")
        assert response.status_code == 200
        assert response.json()["viewer"]["id"] == USER["id"]
        assert response.json()["favourited"] is None

    def test_a_logout_is_seen_by_the_very_next_page(self, signed_in, models):
        stub_home(models)
        stub_viewer(models)
        models.add(responses.POST, MODELS + "/authenticators/revoke", status=204)
        assert signed_in.get("/api/v1/home").json()["viewer"]["id"] == USER["id"]
        assert signed_in.post("/api/v1/auth/logout").status_code == 204
        body = signed_in.get("/api/v1/home").json()
        assert (body["viewer"], body["viewer_error"]) == (None, "not_authenticated")

    @pytest.mark.parametrize("method", ["put", "delete"])
    def test_a_favourite_or_unfavourite_is_seen_by_the_very_next_page(
        self, signed_in, models, method
    ):
        stub_home(models)
        stub_viewer(models, favourited=[])
        models.add(
            getattr(responses, method.upper()),
            f"{MODELS}/favourites/3",
            json={"listing": 3, "favourited": method == "put", "count": 1},
        )
        assert signed_in.get("/api/v1/home").json()["favourited"] == []
        getattr(signed_in, method)("/api/v1/favourites/3")
        models.replace(responses.GET, FAVOURITE_IDS, json={"favourited": [3]})
        assert signed_in.get("/api/v1/home").json()["favourited"] == [3]


class ListingDetailViewerTest:
    def test_anonymous_detail_has_no_viewer_fields(self, api, models):
        stub_detail(models)
        body = api.get("/api/v1/listings/5").json()
        assert not {"viewer", "favourited", "viewer_error"} & set(body)

    def test_signed_in_detail_has_the_viewer_and_the_hearts_of_listing_and_recommendations(
        self, signed_in, models
    ):
        stub_detail(models, 5, recommended=(8, 9))
        stub_viewer(models, favourited=[5, 9])
        response = signed_in.get("/api/v1/listings/5")
        body = response.json()
        assert body["id"] == 5
        assert body["viewer"] == ME
        assert body["favourited"] == [5, 9]
        assert asked_ids(models) == ["5,8,9"]
        assert_private(response)

    def test_the_cached_detail_page_holds_nothing_of_the_viewer(self, signed_in, models):
        stub_detail(models)
        stub_viewer(models)
        signed_in.get("/api/v1/listings/5")
        stored = cache.get(page_cache.current_key(page_cache.listing_namespace(5)))
        assert not {"viewer", "favourited", "viewer_error"} & set(stored["value"])

    def test_the_seller_changing_their_listing_is_still_authenticated_first(
        self, signed_in, models
    ):
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=a_listing(id=5, price="9.00"))
        response = signed_in.patch("/api/v1/listings/5", {"price": "9.00"}, format="json")
        assert response.status_code == 200
        assert (
            calls_to(models, "PATCH", "/listings/5")[0].request.headers["X-Authenticator"] == TOKEN
        )

    def test_changing_a_listing_without_a_bearer_is_401(self, api, models):
        response = api.patch("/api/v1/listings/5", {"price": "9.00"}, format="json")
        assert response.status_code == 401
        assert calls_to(models, "PATCH", "/listings/5") == []

    def test_a_refused_authenticator_is_a_null_viewer(self, api, models):
        stub_detail(models)
        models.add(responses.POST, MODELS + "/authenticators/resolve", status=401, json={})
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        body = api.get("/api/v1/listings/5").json()
        assert (body["viewer"], body["viewer_error"], body["favourited"]) == (
            None,
            "not_authenticated",
            None,
        )
