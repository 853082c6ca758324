"""Bulk view counts and recommendations through the HTTP API."""

from __future__ import annotations

import pytest

from catalogue.models import Listing, Recommendation, ViewBatch
from outbox.models import OutboxEvent


@pytest.mark.django_db
class ListingViewsApiTest:
    def post(self, client, body):
        return client.post("/api/v1/listings/views", body, format="json")

    def test_increments_applied_and_unknown_ids_ignored(self, api_client, make_listing):
        first, second = make_listing(view_count=5), make_listing()
        response = self.post(
            api_client, {"increments": {str(first.id): 3, str(second.id): 1, "999999": 7}}
        )
        assert response.status_code == 200
        assert response.json() == {"updated": 2, "duplicate": False}
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.view_count, second.view_count) == (8, 1)

    def test_view_counts_do_not_bump_version_or_emit_events(self, api_client, make_listing):
        listing = make_listing()
        self.post(api_client, {"increments": {str(listing.id): 4}})
        listing.refresh_from_db()
        assert listing.version == 1
        assert OutboxEvent.objects.count() == 0

    def test_repeated_batch_id_is_not_applied_twice(self, api_client, make_listing):
        listing = make_listing()
        body = {"increments": {str(listing.id): 2}, "batch_id": "pageviews-0-1234"}
        assert self.post(api_client, body).json() == {"updated": 1, "duplicate": False}
        assert self.post(api_client, body).json() == {"updated": 0, "duplicate": True}
        listing.refresh_from_db()
        assert listing.view_count == 2
        assert ViewBatch.objects.get(pk="pageviews-0-1234").updated == 1

    def test_empty_increments_is_a_no_op(self, api_client):
        assert self.post(api_client, {"increments": {}}).json() == {
            "updated": 0,
            "duplicate": False,
        }

    def test_many_listings_in_constant_queries(
        self, api_client, make_listing, django_assert_num_queries
    ):
        listings = [make_listing() for _ in range(40)]
        increments = {str(item.id): index + 1 for index, item in enumerate(listings)}
        # SAVEPOINT, lock rows in id order, one UPDATE, RELEASE: independent of the batch size.
        with django_assert_num_queries(4):
            response = self.post(api_client, {"increments": increments})
        assert response.json()["updated"] == 40
        assert Listing.objects.get(pk=listings[-1].id).view_count == 40

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "increments"),
            ({"increments": []}, "increments"),
            ({"increments": {"abc": 1}}, "increments"),
            ({"increments": {"-4": 1}}, "increments"),
            ({"increments": {"1": 0}}, "increments.1"),
            ({"increments": {"1": -2}}, "increments.1"),
            ({"increments": {"1": "3"}}, "increments.1"),
            ({"increments": {"1": True}}, "increments.1"),
            ({"increments": {"1": 1.5}}, "increments.1"),
            ({"increments": {"1": 10_000_000}}, "increments.1"),
            ({"increments": {"1": 1}, "batch_id": 7}, "batch_id"),
            ({"increments": {"1": 1}, "batch_id": "b" * 201}, "batch_id"),
        ],
    )
    def test_invalid_body_is_400_and_applies_nothing(self, api_client, make_listing, body, field):
        listing = make_listing()
        response = self.post(api_client, body)
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        listing.refresh_from_db()
        assert listing.view_count == 0
        assert ViewBatch.objects.count() == 0

    def test_without_service_token_is_401(self, anonymous_client):
        response = anonymous_client.post(
            "/api/v1/listings/views", {"increments": {}}, format="json"
        )
        assert response.status_code == 401


@pytest.mark.django_db
class RecommendationsApiTest:
    def put(self, client, recommendations):
        return client.put(
            "/api/v1/recommendations", {"recommendations": recommendations}, format="json"
        )

    def test_put_replaces_the_whole_set(self, api_client, make_listing):
        a, b, c = make_listing(), make_listing(), make_listing()
        assert self.put(api_client, {str(a.id): [b.id, c.id]}).json() == {"listings": 1}
        response = self.put(api_client, {str(b.id): [c.id, a.id]})
        assert response.json() == {"listings": 1}
        assert list(Recommendation.objects.values_list("listing_id", flat=True)) == [b.id]
        got = api_client.get(f"/api/v1/listings/{a.id}/recommendations").json()
        assert got["recommended"] == []

    def test_get_returns_ids_in_stored_order(self, api_client, make_listing):
        a, b, c, d = (make_listing() for _ in range(4))
        self.put(api_client, {str(a.id): [d.id, b.id, c.id]})
        response = api_client.get(f"/api/v1/listings/{a.id}/recommendations")
        assert response.status_code == 200
        body = response.json()
        assert body["listing_id"] == a.id
        assert body["recommended"] == [d.id, b.id, c.id]
        assert body["updated_at"].endswith("Z")

    def test_unknown_listings_dropped_and_lists_cleaned(self, api_client, make_listing):
        a, b = make_listing(), make_listing()
        response = self.put(api_client, {str(a.id): [b.id, a.id, b.id], "999999": [a.id]})
        assert response.json() == {"listings": 1}
        assert Recommendation.objects.get(pk=a.id).recommended_ids == [b.id]

    def test_deleted_listings_are_not_recommended(self, api_client, make_listing):
        a, b, c = make_listing(), make_listing(), make_listing()
        self.put(api_client, {str(a.id): [b.id, c.id]})
        Listing.objects.filter(pk=b.id).delete()
        assert api_client.get(f"/api/v1/listings/{a.id}/recommendations").json()["recommended"] == [
            c.id
        ]

    def test_empty_put_clears_everything(self, api_client, make_listing):
        a, b = make_listing(), make_listing()
        self.put(api_client, {str(a.id): [b.id]})
        assert self.put(api_client, {}).json() == {"listings": 0}
        assert Recommendation.objects.count() == 0

    def test_listing_without_recommendations_gives_empty_list(self, api_client, make_listing):
        listing = make_listing()
        response = api_client.get(f"/api/v1/listings/{listing.id}/recommendations")
        assert response.json() == {"listing_id": listing.id, "recommended": [], "updated_at": None}

    def test_unknown_listing_is_404(self, api_client):
        assert api_client.get("/api/v1/listings/777777/recommendations").status_code == 404

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"recommendations": []},
            {"recommendations": {"x": [1]}},
            {"recommendations": {"1": "2,3"}},
            {"recommendations": {"1": [0]}},
            {"recommendations": {"1": ["a"]}},
            {"recommendations": {"1": list(range(1, 102))}},
        ],
    )
    def test_invalid_body_is_400_and_keeps_old_set(self, api_client, make_listing, body):
        a, b = make_listing(), make_listing()
        self.put(api_client, {str(a.id): [b.id]})
        response = api_client.put("/api/v1/recommendations", body, format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "validation_failed"
        assert Recommendation.objects.get(pk=a.id).recommended_ids == [b.id]

    def test_without_service_token_is_401(self, anonymous_client):
        response = anonymous_client.put(
            "/api/v1/recommendations", {"recommendations": {}}, format="json"
        )
        assert response.status_code == 401
