import threading

import pytest
import requests
import responses

from clients import events
from conftest import (
    GATE_SECONDS,
    MODELS,
    TOKEN,
    USER,
    a_listing,
    a_page,
    a_photo,
    calls_to,
    listings_url,
)
from listings.cards import CARD_KEYS


@pytest.fixture
def page_views(monkeypatch):
    """Captures published page views instead of queueing them for Kafka."""
    published = []
    monkeypatch.setattr(
        "listings.api.publish_page_view",
        lambda listing_id, user_id: published.append((listing_id, user_id)) or True,
    )
    return published


def stub_detail(models, listing_id=5, recommended=(8, 9), **listing):
    models.add(
        responses.GET, f"{MODELS}/listings/{listing_id}", json=a_listing(id=listing_id, **listing)
    )
    models.add(
        responses.GET,
        f"{MODELS}/listings/{listing_id}/recommendations",
        json={"listing_id": listing_id, "recommended": list(recommended), "updated_at": None},
    )
    models.add(
        responses.GET,
        listings_url(),
        json=a_page([a_listing(id=i) for i in reversed(recommended)]),
    )


class HomeTest:
    def test_home_returns_newest_and_popular_cards(self, api, models):
        models.add(
            responses.GET,
            listings_url(),
            json=a_page([a_listing(id=1)]),
            match=[
                responses.matchers.query_param_matcher(
                    {"status": "active", "ordering": "newest", "page_size": "12"}
                )
            ],
        )
        models.add(
            responses.GET,
            listings_url(),
            json=a_page([a_listing(id=2), a_listing(id=3)]),
            match=[
                responses.matchers.query_param_matcher(
                    {"status": "active", "ordering": "most_viewed", "page_size": "12"}
                )
            ],
        )
        response = api.get("/api/v1/home")
        assert response.status_code == 200
        body = response.json()
        assert [c["id"] for c in body["newest"]] == [1]
        assert [c["id"] for c in body["popular"]] == [2, 3]
        assert set(body["newest"][0]) == set(CARD_KEYS)

    def test_home_card_cover_is_the_first_photo_or_null(self, api, models):
        first, second = a_photo(position=0), a_photo(position=1)
        models.add(
            responses.GET,
            listings_url(),
            json=a_page([a_listing(id=1, photos=[first, second]), a_listing(id=2)]),
        )
        newest = api.get("/api/v1/home").json()["newest"]
        assert [c["cover"] for c in newest] == [first, None]
        assert "photos" not in newest[0]  # a card carries the cover only

    def test_home_card_of_a_listing_without_photos_field_has_null_cover(self, api, models):
        legacy = a_listing(id=1)
        del legacy["photos"]  # a representation from before photos existed
        models.add(responses.GET, listings_url(), json=a_page([legacy]))
        assert api.get("/api/v1/home").json()["newest"][0]["cover"] is None

    def test_home_is_cached(self, api, models):
        models.add(responses.GET, listings_url(), json=a_page([a_listing(id=1)]))
        api.get("/api/v1/home")
        api.get("/api/v1/home/")
        assert len(models.calls) == 2  # newest + popular, once

    def test_home_calls_run_concurrently(self, api, models):
        # Each call answers only once the other one is in flight too: calls made one
        # after the other would break the barrier (and the page would be a 503).
        both_in_flight = threading.Barrier(2, timeout=GATE_SECONDS)

        def answer_when_both_asked(request):
            both_in_flight.wait()
            return 200, {}, '{"count": 0, "results": []}'

        models.add_callback(responses.GET, listings_url(), callback=answer_when_both_asked)
        assert api.get("/api/v1/home").status_code == 200
        assert len(models.calls) == 2

    def test_home_models_api_down_is_503_json(self, api, models):
        models.add(responses.GET, listings_url(), body=requests.ConnectionError())
        response = api.get("/api/v1/home")
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"


class ListingDetailTest:
    def test_detail_has_listing_and_recommendation_cards_in_order(self, api, models, page_views):
        stub_detail(models, 5, recommended=(8, 9))
        response = api.get("/api/v1/listings/5")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == 5
        assert body["description"] == "Nice thing"
        assert [c["id"] for c in body["recommendations"]] == [8, 9]
        assert set(body["recommendations"][0]) == set(CARD_KEYS)

    def test_detail_passes_photos_through_and_recommendations_have_covers(
        self, api, models, page_views
    ):
        photos = [a_photo(position=0, card_url=None, detail_url=None), a_photo(position=1)]
        cover = a_photo()
        models.add(responses.GET, f"{MODELS}/listings/5", json=a_listing(id=5, photos=photos))
        models.add(
            responses.GET,
            f"{MODELS}/listings/5/recommendations",
            json={"listing_id": 5, "recommended": [8], "updated_at": None},
        )
        models.add(responses.GET, listings_url(), json=a_page([a_listing(id=8, photos=[cover])]))
        body = api.get("/api/v1/listings/5").json()
        assert body["photos"] == photos
        assert "cover" not in body  # the listing itself is models-api's shape
        assert body["recommendations"][0]["cover"] == cover

    def test_detail_without_recommendations_makes_no_listing_query(self, api, models, page_views):
        stub_detail(models, 5, recommended=())
        assert api.get("/api/v1/listings/5").json()["recommendations"] == []
        assert calls_to(models, "GET", "/listings") == []

    def test_detail_recommendations_down_still_renders_and_is_not_cached(
        self, api, models, page_views
    ):
        models.add(responses.GET, f"{MODELS}/listings/5", json=a_listing(id=5))
        models.add(responses.GET, f"{MODELS}/listings/5/recommendations", status=500)
        response = api.get("/api/v1/listings/5")
        assert response.status_code == 200
        assert response.json()["recommendations"] == []
        api.get("/api/v1/listings/5")
        assert len(calls_to(models, "GET", "/listings/5")) == 2

    def test_detail_is_cached_but_every_view_is_published(self, api, models, page_views):
        stub_detail(models, 5)
        api.get("/api/v1/listings/5")
        api.get("/api/v1/listings/5")
        assert len(calls_to(models, "GET", "/listings/5")) == 1
        assert page_views == [(5, None), (5, None)]

    def test_detail_signed_in_view_carries_user_id(self, signed_in, models, page_views):
        stub_detail(models, 5, seller={"id": 99, "username": "bob", "display_name": "Bob"})
        assert signed_in.get("/api/v1/listings/5").status_code == 200
        assert page_views == [(5, USER["id"])]

    def test_detail_seen_by_its_own_seller_is_not_a_view(self, signed_in, models, page_views):
        stub_detail(models, 5)  # the signed-in user (7) is the seller
        assert signed_in.get("/api/v1/listings/5").status_code == 200
        assert page_views == []

    def test_detail_asked_for_a_member_shell_is_the_same_answer_but_not_a_view(
        self, api, models, page_views
    ):
        # The web tier renders a member shell with X-Edge-Shell (HAProxy deletes it from
        # outside requests); the assembled page's view comes from GET /viewer?viewed=.
        stub_detail(models, 5)
        shell = api.get("/api/v1/listings/5", headers={"X-Edge-Shell": "1"})
        assert page_views == []
        page = api.get("/api/v1/listings/5")
        assert page_views == [(5, None)]
        assert shell.status_code == page.status_code == 200
        assert shell.content == page.content
        assert {k: v for k, v in shell.items() if k != "X-Request-ID"} == {
            k: v for k, v in page.items() if k != "X-Request-ID"
        }

    def test_detail_invalid_bearer_is_served_anonymously(self, api, models, page_views):
        stub_detail(models, 5)
        models.add(responses.POST, MODELS + "/authenticators/resolve", status=401, json={})
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        assert api.get("/api/v1/listings/5").status_code == 200
        assert page_views == [(5, None)]

    def test_detail_unknown_listing_is_404_and_no_view(self, api, models, page_views):
        models.add(responses.GET, f"{MODELS}/listings/404", status=404, json={"error": "not_found"})
        models.add(
            responses.GET,
            f"{MODELS}/listings/404/recommendations",
            json={"listing_id": 404, "recommended": []},
        )
        response = api.get("/api/v1/listings/404")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert page_views == []

    def test_detail_non_numeric_id_is_json_404(self, api):
        response = api.get("/api/v1/listings/abc")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_detail_kafka_unreachable_request_never_waits_for_it_and_is_200(
        self, api, models, monkeypatch, kafka_unreachable
    ):
        # The real publisher and producer (bootstrapping from a closed port), its producer
        # held on the sender thread until the page has answered.
        gate = threading.Event()

        def held_factory():
            assert gate.wait(GATE_SECONDS), "the test never opened the gate"
            return events.kafka_producer_factory()

        publisher = events.EventPublisher(held_factory)
        monkeypatch.setattr(events, "_publisher", publisher)
        stub_detail(models, 5)
        assert api.get("/api/v1/listings/5").status_code == 200
        assert api.get("/api/v1/listings/5").status_code == 200
        assert publisher.stats()["published"] == 0
        gate.set()
        publisher.close(timeout=0.5)
        assert publisher.stats()["published"] == 0


class CreateListingTest:
    VALID = {
        "title": "Brass lamp",
        "description": "Old but shiny",
        "price": "19.9",
        "category": "home",
    }

    def test_create_returns_201_and_sends_normalised_price(self, signed_in, models):
        models.add(
            responses.POST,
            MODELS + "/listings",
            status=201,
            json=a_listing(id=77, title="Brass lamp"),
            match=[
                responses.matchers.json_params_matcher({**self.VALID, "price": "19.90"}),
                responses.matchers.header_matcher({"X-Authenticator": TOKEN}),
            ],
        )
        response = signed_in.post("/api/v1/listings", self.VALID, format="json")
        assert response.status_code == 201
        assert response.json()["id"] == 77

    def test_create_invalidates_the_cached_home_page(self, signed_in, models):
        models.add(responses.GET, listings_url(), json=a_page([]))
        models.add(responses.POST, MODELS + "/listings", status=201, json=a_listing(id=78))
        signed_in.get("/api/v1/home")
        signed_in.post("/api/v1/listings", self.VALID, format="json")
        signed_in.get("/api/v1/home")
        assert len(calls_to(models, "GET", "/listings")) == 4

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"title": ""}, "title"),
            ({"title": "x" * 121}, "title"),
            ({"title": 5}, "title"),
            ({"price": "-1"}, "price"),
            ({"price": "1.999"}, "price"),
            ({"price": "lots"}, "price"),
            ({"price": True}, "price"),
            ({"category": "not a slug"}, "category"),
            ({"condition": "mint"}, "condition"),
        ],
    )
    def test_create_invalid_input_is_400_and_nothing_sent(self, signed_in, models, change, field):
        response = signed_in.post("/api/v1/listings", {**self.VALID, **change}, format="json")
        assert response.status_code == 400
        assert field in response.json()["fields"]
        assert calls_to(models, "POST", "/listings") == []

    def test_create_unknown_category_passes_models_api_400_through(self, signed_in, models):
        models.add(
            responses.POST,
            MODELS + "/listings",
            status=400,
            json={
                "error": "validation_failed",
                "detail": "Invalid input.",
                "fields": {"category": ["Unknown category."]},
            },
        )
        response = signed_in.post(
            "/api/v1/listings", {**self.VALID, "category": "nope"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {"category": ["Unknown category."]}

    def test_create_anonymous_is_401_and_nothing_sent(self, api, models):
        response = api.post("/api/v1/listings", self.VALID, format="json")
        assert response.status_code == 401
        assert len(models.calls) == 0

    def test_create_authenticator_expired_meanwhile_is_401(self, signed_in, models):
        models.add(responses.POST, MODELS + "/listings", status=401, json={})
        assert signed_in.post("/api/v1/listings", self.VALID, format="json").status_code == 401

    def test_create_models_api_timeout_is_503_not_retried(self, signed_in, models):
        models.add(responses.POST, MODELS + "/listings", body=requests.ReadTimeout())
        response = signed_in.post("/api/v1/listings", self.VALID, format="json")
        assert response.status_code == 503
        assert len(calls_to(models, "POST", "/listings")) == 1


class UserProfileTest:
    def test_profile_has_user_cards_and_pages(self, api, models):
        public = {k: USER[k] for k in ("id", "username", "display_name", "bio", "date_joined")}
        models.add(responses.GET, MODELS + "/users/7", json=public)
        models.add(
            responses.GET,
            listings_url(),
            json=a_page([a_listing(id=1)], count=41),
            match=[
                responses.matchers.query_param_matcher(
                    {
                        "seller": "7",
                        "status": "active",
                        "ordering": "newest",
                        "page": "2",
                        "page_size": "20",
                    }
                )
            ],
        )
        response = api.get("/api/v1/users/7", {"page": 2})
        assert response.status_code == 200
        body = response.json()
        assert body["user"] == public
        assert [c["id"] for c in body["listings"]] == [1]
        assert (body["total"], body["page"], body["pages"]) == (41, 2, 3)

    def test_profile_shows_public_fields_only_and_an_empty_bio_when_absent(self, api, models):
        from_models = {"id": 7, "username": "ada", "display_name": "Ada L.",
                       "date_joined": "2026-11-01T10:00:00Z", "favourites": 3}  # fmt: skip
        models.add(responses.GET, MODELS + "/users/7", json=from_models)
        models.add(responses.GET, listings_url(), json=a_page([]))
        user = api.get("/api/v1/users/7").json()["user"]
        assert user == {
            "id": 7,
            "username": "ada",
            "display_name": "Ada L.",
            "bio": "",
            "date_joined": "2026-11-01T10:00:00Z",
        }

    def test_profile_unknown_user_is_404(self, api, models):
        models.add(responses.GET, MODELS + "/users/9", status=404, json={"error": "not_found"})
        models.add(responses.GET, listings_url(), json=a_page([]))
        assert api.get("/api/v1/users/9").status_code == 404

    def test_profile_bad_page_is_400(self, api, models):
        response = api.get("/api/v1/users/7", {"page": "zero"})
        assert response.status_code == 400
        assert "page" in response.json()["fields"]


class CategoriesTest:
    def test_categories_are_listed_and_cached(self, api, models):
        categories = [{"slug": "home", "name": "Home & Garden"}]
        models.add(responses.GET, MODELS + "/categories", json={"results": categories})
        assert api.get("/api/v1/categories").json() == {"categories": categories}
        api.get("/api/v1/categories")
        assert len(models.calls) == 1
