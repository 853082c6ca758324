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


# --------------------------------------------------------------------------- GET /viewer
VIEWER = "/api/v1/viewer"


@pytest.fixture
def fragment_views(monkeypatch) -> list[tuple[int, int | None]]:
    """The page views GET /viewer publishes, captured instead of queued for Kafka."""
    published: list[tuple[int, int | None]] = []
    monkeypatch.setattr(
        "accounts.api.publish_page_view",
        lambda listing_id, user_id: published.append((listing_id, user_id)) or True,
    )
    return published


def assert_no_viewer_reads(models) -> None:
    assert calls_to(models, "GET", "/threads/unread") == []
    assert calls_to(models, "GET", "/favourites/ids") == []


class ViewerFragmentTest:
    """The viewer fragment of an edge-assembled page (docs/edge-assembly.md)."""

    def test_the_viewer_as_me_answers_and_the_hearts_among_the_listings_in_order(
        self, signed_in, models, fragment_views
    ):
        stub_viewer(models, favourited=[9, 5], unread=3)
        response = signed_in.get(VIEWER, {"listings": "9,3,5"})
        assert response.status_code == 200
        assert response.json() == {
            "viewer": {**USER, "unread_messages": 3},
            "favourited": [9, 5],
        }
        assert asked_ids(models) == ["9,3,5"]  # the order given, which models-api keeps
        assert response.json()["viewer"] == signed_in.get("/api/v1/me").json()
        assert fragment_views == []  # nothing viewed

    def test_repeated_listings_are_asked_once(self, signed_in, models):
        stub_viewer(models, favourited=[3])
        assert signed_in.get(VIEWER, {"listings": "3,4,3"}).json()["favourited"] == [3]
        assert asked_ids(models) == ["3,4"]

    @pytest.mark.parametrize("query", [{}, {"listings": ""}, {"listings": "", "viewed": ""}])
    def test_no_listings_is_no_hearts_without_asking_models_api(
        self, signed_in, models, fragment_views, query
    ):
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 0})
        response = signed_in.get(VIEWER, query)
        assert response.status_code == 200
        assert response.json() == {"viewer": {**USER, "unread_messages": 0}, "favourited": []}
        assert calls_to(models, "GET", "/favourites/ids") == []
        assert fragment_views == []

    def test_the_hearts_unknown_are_null_the_viewer_still_answered(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 1})
        models.add(responses.GET, FAVOURITE_IDS, status=503, json={"error": "x"})
        response = signed_in.get(VIEWER, {"listings": "1,2"})
        assert response.status_code == 200
        assert response.json() == {"viewer": {**USER, "unread_messages": 1}, "favourited": None}

    def test_a_favourite_is_seen_by_the_very_next_fragment(self, signed_in, models):
        stub_viewer(models, favourited=[])
        models.add(
            responses.PUT,
            f"{MODELS}/favourites/3",
            json={"listing": 3, "favourited": True, "count": 1},
        )
        assert signed_in.get(VIEWER, {"listings": "2,3"}).json()["favourited"] == []
        signed_in.put("/api/v1/favourites/3")
        models.replace(responses.GET, FAVOURITE_IDS, json={"favourited": [3]})
        assert signed_in.get(VIEWER, {"listings": "2,3"}).json()["favourited"] == [3]

    def test_a_warm_fragment_is_two_redis_reads(self, signed_in, models, redis_round_trips):
        stub_detail(models, 5, seller_id=99)
        stub_viewer(models)
        query = {"listings": "1,2,5", "viewed": "5"}
        signed_in.get(VIEWER, query)  # fills every cache
        redis_round_trips.clear()
        assert signed_in.get(VIEWER, query).json()["viewer"]["id"] == USER["id"]
        # The authenticator's entry; then its stale mark with the unread count, the
        # hearts' generation and entry, and the viewed listing's generation and seller.
        assert redis_round_trips == ["get", "get_many"]
        assert len(calls_to(models, "GET", "/listings/5")) == 1

    # --- page views ---------------------------------------------------------------
    def test_viewed_by_a_buyer_is_a_page_view_of_theirs(self, signed_in, models, fragment_views):
        stub_detail(models, 5, seller_id=99)
        stub_viewer(models)
        assert signed_in.get(VIEWER, {"listings": "5,8", "viewed": "5"}).status_code == 200
        assert signed_in.get(VIEWER, {"viewed": "5"}).status_code == 200
        assert fragment_views == [(5, USER["id"]), (5, USER["id"])]
        # The seller came from the listing's detail page, read once and cached.
        assert len(calls_to(models, "GET", "/listings/5")) == 1

    def test_viewed_by_its_seller_is_not_a_page_view(self, signed_in, models, fragment_views):
        stub_detail(models, 5, seller_id=USER["id"])
        stub_viewer(models)
        assert signed_in.get(VIEWER, {"viewed": "5"}).status_code == 200
        assert signed_in.get(VIEWER, {"viewed": "5"}).status_code == 200
        assert fragment_views == []

    def test_the_seller_is_that_of_the_cached_detail_page(self, signed_in, models, fragment_views):
        stub_detail(models, 5, seller_id=99)
        stub_viewer(models)
        signed_in.get("/api/v1/listings/5")  # the page (and so its cache) first, as HAProxy
        before = len(models.calls)
        signed_in.get(VIEWER, {"viewed": "5"})
        assert fragment_views == [(5, USER["id"])]
        assert [c.request.path_url for c in models.calls[before:]] == []

    def test_a_listing_that_does_not_exist_is_no_page_view_and_still_a_200(
        self, signed_in, models, fragment_views
    ):
        stub_viewer(models)
        models.add(responses.GET, f"{MODELS}/listings/404", status=404, json={"error": "x"})
        models.add(
            responses.GET,
            f"{MODELS}/listings/404/recommendations",
            json={"listing_id": 404, "recommended": []},
        )
        response = signed_in.get(VIEWER, {"listings": "404", "viewed": "404"})
        assert response.status_code == 200
        assert response.json()["viewer"]["id"] == USER["id"]
        assert fragment_views == []

    def test_a_listing_deleted_after_its_seller_was_cached_is_no_page_view(
        self, signed_in, models, fragment_views
    ):
        stub_detail(models, 5, seller_id=99)
        stub_viewer(models)
        signed_in.get(VIEWER, {"viewed": "5"})
        # Its deletion (through this API or the listing events) drops its detail page.
        page_cache.invalidate_listing(5)
        models.replace(responses.GET, f"{MODELS}/listings/5", status=404, json={"error": "x"})
        signed_in.get(VIEWER, {"viewed": "5"})
        assert fragment_views == [(5, USER["id"])]

    def test_a_listing_unreadable_now_is_no_page_view_and_still_a_200(
        self, signed_in, models, fragment_views
    ):
        stub_viewer(models)
        models.add(responses.GET, f"{MODELS}/listings/5", body=requests.ConnectionError())
        models.add(
            responses.GET, f"{MODELS}/listings/5/recommendations", body=requests.ConnectionError()
        )
        response = signed_in.get(VIEWER, {"viewed": "5"})
        assert response.status_code == 200
        assert response.json()["viewer"]["id"] == USER["id"]
        assert fragment_views == []

    # --- authentication -----------------------------------------------------------
    def test_without_a_bearer_is_401_and_nothing_happens(self, api, models, fragment_views):
        response = api.get(VIEWER, {"listings": "1,2", "viewed": "5"})
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert fragment_views == []
        assert len(models.calls) == 0

    @pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Token " + TOKEN])
    def test_a_malformed_or_other_authorization_is_401(self, api, models, header):
        api.credentials(HTTP_AUTHORIZATION=header)
        response = api.get(VIEWER, {"listings": "1"})
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert calls_to(models, "POST", "/authenticators/resolve") == []

    def test_a_refused_authenticator_is_401_as_for_me(self, api, models, fragment_views):
        models.add(responses.POST, MODELS + "/authenticators/resolve", status=401, json={})
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        response = api.get(VIEWER, {"listings": "1", "viewed": "5"})
        me = api.get("/api/v1/me")
        assert response.status_code == me.status_code == 401
        assert response.json() == me.json()
        assert response.json()["error"] == "not_authenticated"
        assert fragment_views == []
        assert_no_viewer_reads(models)

    def test_an_unverifiable_authenticator_is_503_as_for_me(self, api, models, fragment_views):
        models.add(
            responses.POST, MODELS + "/authenticators/resolve", body=requests.ConnectionError()
        )
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        response = api.get(VIEWER, {"listings": "1", "viewed": "5"})
        me = api.get("/api/v1/me")
        assert response.status_code == me.status_code == 503
        assert response.json() == me.json()
        assert response.json()["error"] == "models_api_unavailable"
        assert fragment_views == []
        assert_no_viewer_reads(models)

    def test_a_malformed_query_without_a_bearer_is_401_first(self, api, models):
        response = api.get(VIEWER, {"listings": "x", "viewed": "y"})
        assert response.status_code == 401

    # --- validation ---------------------------------------------------------------
    @pytest.mark.parametrize(
        "query, field",
        [
            ({"listings": "1,two"}, "listings"),
            ({"listings": "1;2"}, "listings"),
            ({"listings": "0"}, "listings"),
            ({"listings": "-3"}, "listings"),
            ({"listings": ",".join(str(i) for i in range(1, 102))}, "listings"),
            ({"viewed": "five"}, "viewed"),
            ({"viewed": "0"}, "viewed"),
            ({"viewed": "5.0"}, "viewed"),
        ],
    )
    def test_a_malformed_parameter_is_400_on_it_and_nothing_happens(
        self, signed_in, models, fragment_views, query, field
    ):
        stub_detail(models, 5, seller_id=99)
        response = signed_in.get(VIEWER, {"listings": "1", "viewed": "5", **query})
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "validation_failed"
        assert set(body["fields"]) == {field}
        assert fragment_views == []
        assert_no_viewer_reads(models)
        assert calls_to(models, "GET", "/listings/5") == []

    def test_both_parameters_malformed_are_named_at_once(self, signed_in, models):
        body = signed_in.get(VIEWER, {"listings": "1,x", "viewed": "y"}).json()
        assert body["fields"] == {
            "listings": ["Give listing ids separated by commas, e.g. 1,2,3."],
            "viewed": ["Must be an integer."],
        }

    def test_a_hundred_listings_are_accepted(self, signed_in, models):
        stub_viewer(models, favourited=[100])
        ids = ",".join(str(i) for i in range(1, 101))
        response = signed_in.get(VIEWER, {"listings": ids})
        assert response.status_code == 200
        assert response.json()["favourited"] == [100]

    # --- caching headers ----------------------------------------------------------
    def test_never_cached_as_the_other_personal_answers(self, signed_in, models):
        stub_viewer(models)
        fragment = signed_in.get(VIEWER, {"listings": "1"})
        me = signed_in.get("/api/v1/me")
        for header in ("Cache-Control", "Pragma"):
            assert fragment[header] == me[header]
        assert fragment["Cache-Control"] == (
            "max-age=0, no-cache, no-store, must-revalidate, private"
        )
        assert "Expires" in fragment

    @pytest.mark.parametrize("query, status", [({"listings": "x"}, 400), ({}, 401)])
    def test_errors_are_never_cached_either(self, api, signed_in, models, query, status):
        if status == 401:
            api.credentials()
        response = api.get(VIEWER, query)
        assert response.status_code == status
        assert_private(response)
        assert response["Pragma"] == "no-cache"
