"""The seller's status rules: 'reserved' belongs to orders; sold/withdrawn/deleted
listings decline their requested orders."""

from __future__ import annotations

import pytest
from model_bakery import baker

from catalogue.models import Listing
from conftest import auth
from outbox.models import OutboxEvent
from trade.models import Order


def _order(listing, buyer, status="requested") -> Order:
    return baker.make(
        Order,
        listing=listing,
        buyer=buyer,
        seller=listing.seller,
        status=status,
        listing_title=listing.title,
        listing_price=listing.price,
    )


@pytest.mark.django_db
class ListingLifecycleTest:
    def test_status_reserved_cannot_be_set_directly(self, api_client, make_listing, authenticator):
        listing = make_listing()
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"status": "reserved"},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert "status" in response.json()["fields"]
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("active", 1)

    def test_status_change_of_reserved_listing_is_409_and_nothing_changes(
        self, api_client, make_listing, authenticator
    ):
        listing = make_listing(status="reserved")
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"status": "withdrawn"},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 409
        assert response.json()["error"] == "listing_reserved"
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("reserved", 1)
        assert OutboxEvent.objects.count() == 0

    def test_reserved_listing_may_still_change_its_text(
        self, api_client, make_listing, authenticator
    ):
        listing = make_listing(status="reserved")
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"title": "Still yours"},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 200
        assert response.json()["status"] == "reserved"

    def test_delete_of_reserved_listing_is_409(self, api_client, make_listing, authenticator):
        listing = make_listing(status="reserved")
        response = api_client.delete(f"/api/v1/listings/{listing.id}", **auth(authenticator))
        assert response.status_code == 409
        assert response.json()["error"] == "listing_reserved"
        assert Listing.objects.filter(pk=listing.id).exists()

    @pytest.mark.parametrize("status", ["sold", "withdrawn"])
    def test_sold_or_withdrawn_declines_requested_orders(
        self, api_client, make_listing, authenticator, other_user, status
    ):
        listing = make_listing()
        order = _order(listing, other_user)
        response = api_client.patch(
            f"/api/v1/listings/{listing.id}",
            {"status": status},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 200
        order.refresh_from_db()
        assert order.status == "declined"
        assert OutboxEvent.objects.filter(event_type="order.declined").count() == 1

    def test_delete_declines_requested_orders_and_keeps_their_snapshot(
        self, api_client, make_listing, authenticator, other_user
    ):
        listing = make_listing()
        order = _order(listing, other_user)
        response = api_client.delete(f"/api/v1/listings/{listing.id}", **auth(authenticator))
        assert response.status_code == 204
        order.refresh_from_db()
        assert (order.status, order.listing_id, order.listing_title) == (
            "declined",
            None,
            listing.title,
        )
