"""The seller's dashboard and listing changes through the public API (models-api stubbed)."""

from __future__ import annotations

import pytest
import responses

from conftest import MODELS, USER, a_listing, calls_to
from trade.tests.test_api import an_order


@pytest.mark.django_db(databases=[])
class DashboardApiTest:
    def test_dashboard_has_every_status_open_orders_and_counts(self, signed_in, models):
        listing = a_listing(id=5, status="reserved")
        page = {"page": 1, "page_size": 20, "next": None, "previous": None}
        models.add(
            responses.GET, f"{MODELS}/listings", json={**page, "count": 1, "results": [listing]}
        )
        models.add(
            responses.GET,
            f"{MODELS}/orders",
            json={**page, "count": 2, "results": [an_order(), an_order(id=32)]},
        )
        body = signed_in.get("/api/v1/dashboard").json()
        assert [(item["id"], item["open_orders"]) for item in body["listings"]] == [(5, 2)]
        assert set(body["counts"]) == {"active", "reserved", "sold", "withdrawn"}
        # One page, the seller's requested orders, one count per status: no call per listing.
        assert len(models.calls) == 1 + 1 + 1 + 4
        assert all(
            f"seller={USER['id']}" in c.request.url for c in calls_to(models, "GET", "/listings")
        )

    def test_dashboard_anonymous_is_401(self, api):
        assert api.get("/api/v1/dashboard").status_code == 401


@pytest.mark.django_db(databases=[])
class ListingChangesApiTest:
    def test_patch_forwards_changes_once(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=a_listing(id=5, status="sold"))
        response = signed_in.patch("/api/v1/listings/5", {"status": "sold"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "sold"
        assert calls_to(models, "PATCH", "/listings/5")[0].request.body == b'{"status": "sold"}'

    def test_patch_reserved_status_is_400_without_calling_models(self, signed_in, models):
        response = signed_in.patch("/api/v1/listings/5", {"status": "reserved"}, format="json")
        assert response.status_code == 400
        assert "status" in response.json()["fields"]
        assert calls_to(models, "PATCH", "/listings/5") == []

    def test_patch_of_reserved_listing_passes_409_through(self, signed_in, models):
        models.add(
            responses.PATCH,
            f"{MODELS}/listings/5",
            json={"error": "listing_reserved", "detail": "Reserved."},
            status=409,
        )
        response = signed_in.patch("/api/v1/listings/5", {"status": "withdrawn"}, format="json")
        assert (response.status_code, response.json()["error"]) == (409, "listing_reserved")
        assert len(calls_to(models, "PATCH", "/listings/5")) == 1

    def test_patch_by_other_user_is_403(self, signed_in, models):
        models.add(
            responses.PATCH,
            f"{MODELS}/listings/5",
            json={"error": "permission_denied", "detail": "Not yours."},
            status=403,
        )
        assert (
            signed_in.patch("/api/v1/listings/5", {"price": "1"}, format="json").status_code == 403
        )

    def test_delete_is_204(self, signed_in, models):
        models.add(responses.DELETE, f"{MODELS}/listings/5", status=204)
        assert signed_in.delete("/api/v1/listings/5").status_code == 204

    def test_anonymous_patch_and_delete_are_401(self, api):
        assert api.patch("/api/v1/listings/5", {"price": "1"}, format="json").status_code == 401
        assert api.delete("/api/v1/listings/5").status_code == 401
