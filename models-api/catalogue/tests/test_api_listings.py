"""Listings through the HTTP API: reads, writes, validation, permissions, events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from model_bakery import baker

from catalogue.models import Category, Listing
from conftest import auth
from mpcommon import events
from outbox.models import OutboxEvent

LISTING_KEYS = {
    "id", "title", "description", "price", "category", "condition", "status", "seller",
    "view_count", "created_at", "updated_at", "version", "photos", "favourite_count",
}  # fmt: skip


def without_favourite_count(listing: dict) -> dict:
    """The API's listing as events carry it: favourite_count is not in the document."""
    return {key: value for key, value in listing.items() if key != "favourite_count"}


def valid_body(**overrides) -> dict:
    body = {
        "title": "Road bike, 54 cm",
        "description": "Serviced last month. New tyres.",
        "price": "350.00",
        "category": "bikes",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


@pytest.mark.django_db
class ListingListApiTest:
    def test_default_is_newest_first_with_page_metadata(self, api_client, make_listing):
        now = timezone.now()
        old = make_listing(created_at=now - timedelta(days=2))
        new = make_listing(created_at=now)
        response = api_client.get("/api/v1/listings")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert (body["page"], body["page_size"], body["next"], body["previous"]) == (
            1,
            20,
            None,
            None,
        )
        assert [item["id"] for item in body["results"]] == [new.id, old.id]
        assert set(body["results"][0]) == LISTING_KEYS

    def test_pagination_gives_next_and_previous_page_numbers(self, api_client, make_listing):
        for _ in range(5):
            make_listing()
        first = api_client.get("/api/v1/listings?page_size=2").json()
        assert (first["count"], first["next"], first["previous"], len(first["results"])) == (
            5, 2, None, 2,
        )  # fmt: skip
        last = api_client.get("/api/v1/listings?page_size=2&page=3").json()
        assert (last["next"], last["previous"], len(last["results"])) == (None, 2, 1)
        beyond = api_client.get("/api/v1/listings?page_size=2&page=9").json()
        assert beyond["results"] == []

    @pytest.mark.parametrize(
        ("ordering", "field", "reverse"),
        [
            ("most_viewed", "view_count", True),
            ("price_asc", "price", False),
            ("price_desc", "price", True),
            ("oldest", "created_at", False),
            ("newest", "created_at", True),
        ],
    )
    def test_orderings(self, api_client, make_listing, ordering, field, reverse):
        now = timezone.now()
        for index, (views, price) in enumerate([(5, "30.00"), (50, "10.00"), (0, "20.00")]):
            make_listing(view_count=views, price=price, created_at=now - timedelta(hours=index))
        results = api_client.get(f"/api/v1/listings?ordering={ordering}").json()["results"]
        values = [Decimal(r[field]) if field == "price" else r[field] for r in results]
        assert values == sorted(values, reverse=reverse)

    def test_filters_combine(self, api_client, make_listing, other_user):
        books = Category.objects.get(slug="books")
        match = make_listing(price="15.00", category=books)
        make_listing(price="15.00")  # other category
        make_listing(price="99.00", category=books)  # too expensive
        make_listing(price="15.00", category=books, status="sold")
        make_listing(price="15.00", category=books, seller=other_user)
        response = api_client.get(
            "/api/v1/listings",
            {
                "category": "books",
                "status": "active",
                "min_price": "10",
                "max_price": "20.00",
                "seller": match.seller_id,
            },
        )
        assert [item["id"] for item in response.json()["results"]] == [match.id]

    def test_ids_filter_returns_only_those(self, api_client, make_listing):
        wanted = [make_listing(), make_listing()]
        make_listing()
        ids = ",".join(str(item.id) for item in wanted) + ",999999"
        results = api_client.get(f"/api/v1/listings?ids={ids}").json()["results"]
        assert {item["id"] for item in results} == {item.id for item in wanted}

    def test_unknown_category_filter_gives_empty_page(self, api_client, make_listing):
        make_listing()
        assert api_client.get("/api/v1/listings?category=nope").json()["count"] == 0

    def test_empty_parameters_mean_no_filter(self, api_client, make_listing):
        make_listing()
        assert api_client.get("/api/v1/listings?category=&status=").json()["count"] == 1

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("ordering=cheapest", "ordering"),
            ("page_size=101", "page_size"),
            ("page_size=0", "page_size"),
            ("page=0", "page"),
            ("page=abc", "page"),
            ("seller=abc", "seller"),
            ("status=lost", "status"),
            ("min_price=-1", "min_price"),
            ("max_price=abc", "max_price"),
            ("min_price=50&max_price=10", "min_price"),
            ("ids=1,abc", "ids"),
            ("ids=" + ",".join(str(i) for i in range(1, 102)), "ids"),
            ("category=" + "%27%3B%20DROP%20TABLE", "category"),
        ],
    )
    def test_invalid_query_is_400_per_field(self, api_client, query, field):
        response = api_client.get(f"/api/v1/listings?{query}")
        assert response.status_code == 400
        assert field in response.json()["fields"]

    @pytest.mark.parametrize("listings", [3, 30])
    def test_query_count_does_not_grow_with_results(
        self, api_client, make_listing, django_assert_num_queries, listings, user, other_user
    ):
        for index in range(listings):
            make_listing(seller=other_user if index % 2 else user)
        # COUNT, one joined SELECT for the page, one for the page's photos
        with django_assert_num_queries(3):
            response = api_client.get("/api/v1/listings?page_size=100&status=active")
        assert len(response.json()["results"]) == listings

    def test_home_page_queries_are_constant(
        self, api_client, make_listing, django_assert_num_queries
    ):
        for _ in range(15):
            make_listing()
        for ordering in ("newest", "most_viewed"):
            with django_assert_num_queries(3):
                api_client.get(f"/api/v1/listings?status=active&ordering={ordering}&page_size=12")

    def test_without_service_token_is_401(self, anonymous_client):
        assert anonymous_client.get("/api/v1/listings").status_code == 401


@pytest.mark.django_db
class ListingCreateApiTest:
    def test_valid_listing_created_for_authenticator_owner(self, api_client, authenticator, user):
        response = api_client.post(
            "/api/v1/listings", valid_body(), format="json", **auth(authenticator)
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == LISTING_KEYS
        assert body["seller"] == {
            "id": user.id,
            "username": user.username,
            "display_name": user.public_name,
        }
        assert body["price"] == "350.00"
        assert body["category"] == {"slug": "bikes", "name": "Bikes"}
        assert (body["status"], body["condition"], body["version"], body["view_count"]) == (
            "active", "good", 1, 0,
        )  # fmt: skip
        assert body["created_at"].endswith("Z")
        assert Listing.objects.get(pk=body["id"]).seller == user

    def test_create_records_listing_created_event_with_whole_document(
        self, api_client, authenticator, settings
    ):
        response = api_client.post(
            "/api/v1/listings", valid_body(), format="json", **auth(authenticator)
        )
        row = OutboxEvent.objects.get()
        # The listings topic (OUTBOX_LISTINGS_TOPIC: a topic of the tests' own here).
        assert (row.topic, row.key, row.event_type, row.sent_at) == (
            settings.OUTBOX_LISTINGS_TOPIC, str(response.json()["id"]), events.LISTING_CREATED,
            None,
        )  # fmt: skip
        events.validate_event(events.TOPIC_LISTINGS, row.payload)
        assert row.payload["listing"] == without_favourite_count(response.json())
        assert "favourite_count" not in row.payload["listing"]
        assert row.payload["version"] == 1

    @pytest.mark.parametrize(
        ("price", "expected"),
        [(12.5, "12.50"), (7, "7.00"), ("0", "0.00"), ("1000000", "1000000.00")],
    )
    def test_price_as_number_or_string(self, api_client, authenticator, price, expected):
        response = api_client.post(
            "/api/v1/listings", valid_body(price=price), format="json", **auth(authenticator)
        )
        assert response.status_code == 201
        assert response.json()["price"] == expected

    def test_condition_can_be_chosen(self, api_client, authenticator):
        response = api_client.post(
            "/api/v1/listings",
            valid_body(condition="like_new"),
            format="json",
            **auth(authenticator),
        )
        assert response.json()["condition"] == "like_new"

    def test_unicode_and_sql_looking_text_stored_verbatim(self, api_client, authenticator):
        title = "Ünïcødé 自行车 🚲 '); DROP TABLE catalogue_listing; --"
        description = '<script>alert(1)</script> OR 1=1; -- "quoted"'
        response = api_client.post(
            "/api/v1/listings",
            valid_body(title=title, description=description),
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 201
        listing = Listing.objects.get(pk=response.json()["id"])
        assert (listing.title, listing.description) == (title, description)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"title": ...}, "title"),
            ({"description": ...}, "description"),
            ({"price": ...}, "price"),
            ({"category": ...}, "category"),
            ({"title": ""}, "title"),
            ({"title": "   "}, "title"),
            ({"title": "t" * 121}, "title"),
            ({"title": 42}, "title"),
            ({"title": "a\x00b"}, "title"),
            ({"description": "d" * 5001}, "description"),
            ({"description": None}, "description"),
            ({"price": "-1.00"}, "price"),
            ({"price": -0.5}, "price"),
            ({"price": "12.345"}, "price"),
            ({"price": "1000000.01"}, "price"),
            ({"price": "NaN"}, "price"),
            ({"price": "Infinity"}, "price"),
            ({"price": True}, "price"),
            ({"price": "ten"}, "price"),
            ({"price": {"amount": 1}}, "price"),
            ({"category": "no-such-category"}, "category"),
            ({"category": 3}, "category"),
            ({"condition": "broken"}, "condition"),
        ],
    )
    def test_invalid_input_is_400_per_field_and_writes_nothing(
        self, api_client, authenticator, overrides, field
    ):
        response = api_client.post(
            "/api/v1/listings", valid_body(**overrides), format="json", **auth(authenticator)
        )
        assert response.status_code == 400, response.content
        assert response.json()["error"] == "validation_failed"
        assert field in response.json()["fields"]
        assert Listing.objects.count() == 0
        assert OutboxEvent.objects.count() == 0

    def test_many_errors_reported_together(self, api_client, authenticator):
        response = api_client.post("/api/v1/listings", {}, format="json", **auth(authenticator))
        assert set(response.json()["fields"]) == {"title", "description", "price", "category"}

    def test_missing_authenticator_is_401(self, api_client):
        response = api_client.post("/api/v1/listings", valid_body(), format="json")
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert Listing.objects.count() == 0

    def test_unknown_or_expired_authenticator_is_401(self, api_client, user):
        expired = baker.make(
            "accounts.Authenticator", owner=user, expires_at=timezone.now() - timedelta(minutes=1)
        )
        for token in ("nope", expired.token):
            response = api_client.post(
                "/api/v1/listings", valid_body(), format="json", HTTP_X_AUTHENTICATOR=token
            )
            assert response.status_code == 401
        assert Listing.objects.count() == 0

    def test_without_service_token_is_401_even_with_authenticator(
        self, anonymous_client, authenticator
    ):
        response = anonymous_client.post(
            "/api/v1/listings", valid_body(), format="json", **auth(authenticator)
        )
        assert response.status_code == 401


@pytest.mark.django_db
class ListingDetailApiTest:
    def test_existing_listing_returned(self, api_client, make_listing):
        listing = make_listing(price="9.90")
        response = api_client.get(f"/api/v1/listings/{listing.id}")
        assert response.status_code == 200
        assert response.json()["id"] == listing.id
        assert response.json()["price"] == "9.90"

    def test_unknown_listing_is_404(self, api_client):
        response = api_client.get("/api/v1/listings/424242")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_detail_is_two_queries(self, api_client, make_listing, django_assert_num_queries):
        listing = make_listing()
        with django_assert_num_queries(2):  # the joined listing, its photos
            api_client.get(f"/api/v1/listings/{listing.id}")


@pytest.mark.django_db
class ListingUpdateApiTest:
    def test_seller_updates_fields_and_version_increases(
        self, api_client, make_listing, authenticator
    ):
        listing = make_listing()
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"price": "19.99", "status": "sold", "category": "books", "title": "New title"},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["price"], body["status"], body["category"]["slug"], body["title"]) == (
            "19.99", "sold", "books", "New title",
        )  # fmt: skip
        assert body["version"] == 2
        assert body["updated_at"] >= body["created_at"]
        listing.refresh_from_db()
        assert (listing.version, listing.status) == (2, "sold")

    def test_update_records_listing_updated_event(self, api_client, make_listing, authenticator):
        listing = make_listing()
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"title": "Renamed"},
            format="json",
            **auth(authenticator),
        )
        row = OutboxEvent.objects.get()
        assert row.event_type == events.LISTING_UPDATED
        assert row.payload["version"] == 2
        assert row.payload["listing"] == without_favourite_count(response.json())
        events.validate_event(events.TOPIC_LISTINGS, row.payload)

    def test_update_keeps_concurrent_view_counts(self, api_client, make_listing, authenticator):
        listing = make_listing(view_count=10)
        Listing.objects.filter(pk=listing.pk).update(view_count=15)  # e.g. by the views job
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"title": "Renamed"},
            format="json",
            **auth(authenticator),
        )
        assert response.json()["view_count"] == 15

    def test_other_user_is_403_and_nothing_changes(
        self, api_client, make_listing, other_authenticator
    ):
        listing = make_listing(title="Original")
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"title": "Hijacked"},
            format="json",
            **auth(other_authenticator),
        )
        assert response.status_code == 403
        assert response.json()["error"] == "permission_denied"
        listing.refresh_from_db()
        assert (listing.title, listing.version) == ("Original", 1)
        assert OutboxEvent.objects.count() == 0

    def test_unknown_listing_is_404(self, api_client, authenticator):
        response = api_client.patch(
            "/api/v1/listings/987654", {"title": "x"}, format="json", **auth(authenticator)
        )
        assert response.status_code == 404

    def test_missing_authenticator_is_401(self, api_client, make_listing):
        listing = make_listing()
        response = api_client.patch(f"/api/v1/listings/{listing.id}", {"title": "x"}, format="json")
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "non_field_errors"),
            ({"price": "-3"}, "price"),
            ({"status": "stolen"}, "status"),
            ({"title": "t" * 121}, "title"),
            ({"category": "nope"}, "category"),
            ({"seller": 1}, "seller"),
            ({"view_count": 1_000_000}, "view_count"),
            ({"version": 99}, "version"),
        ],
    )
    def test_invalid_update_is_400_and_changes_nothing(
        self, api_client, make_listing, authenticator, body, field
    ):
        listing = make_listing()
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}", body, format="json", **auth(authenticator)
        )
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        listing.refresh_from_db()
        assert listing.version == 1
        assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
class ListingDeleteApiTest:
    def test_seller_deletes_and_deleted_event_recorded(
        self, api_client, make_listing, authenticator
    ):
        listing = make_listing()
        response = api_client.delete(f"/api/v1/listings/{listing.id}", **auth(authenticator))
        assert response.status_code == 204
        assert not Listing.objects.filter(pk=listing.id).exists()
        row = OutboxEvent.objects.get()
        assert (row.event_type, row.key, row.payload["version"], row.payload["listing"]) == (
            events.LISTING_DELETED, str(listing.id), 2, None,
        )  # fmt: skip
        events.validate_event(events.TOPIC_LISTINGS, row.payload)
        assert api_client.get(f"/api/v1/listings/{listing.id}").status_code == 404

    def test_other_user_is_403(self, api_client, make_listing, other_authenticator):
        listing = make_listing()
        response = api_client.delete(f"/api/v1/listings/{listing.id}", **auth(other_authenticator))
        assert response.status_code == 403
        assert Listing.objects.filter(pk=listing.id).exists()
        assert OutboxEvent.objects.count() == 0

    def test_unknown_listing_is_404(self, api_client, authenticator):
        assert api_client.delete("/api/v1/listings/55555", **auth(authenticator)).status_code == 404

    def test_missing_authenticator_is_401(self, api_client, make_listing):
        listing = make_listing()
        assert api_client.delete(f"/api/v1/listings/{listing.id}").status_code == 401
        assert Listing.objects.filter(pk=listing.id).exists()
