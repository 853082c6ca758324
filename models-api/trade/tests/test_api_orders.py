"""Orders through the HTTP API: placing, reading, the actions and their effects."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from model_bakery import baker

from catalogue.models import Listing
from mpcommon import events
from outbox.models import OutboxEvent
from trade import selectors
from trade.models import Order, OrderEvent

ORDER_KEYS = {
    "id", "status", "listing", "buyer", "seller", "message", "created_at", "updated_at",
    "history", "actions",
}  # fmt: skip
ORDERS_TOPIC = settings.OUTBOX_TOPIC_PREFIX + events.TOPIC_ORDERS


def order_events(order_id: int) -> list[str]:
    return list(
        OutboxEvent.objects.filter(topic=ORDERS_TOPIC, key=str(order_id))
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def place(api_client, listing, headers, **extra):
    return api_client.post(
        "/api/v1/orders", {"listing": listing.id, **extra}, format="json", **headers
    )


def act(api_client, order_id, action, headers):
    return api_client.post(
        f"/api/v1/orders/{order_id}/actions", {"action": action}, format="json", **headers
    )


def make_order(listing, buyer, status="requested"):
    return baker.make(
        Order,
        listing=listing,
        listing_title=listing.title,
        listing_price=listing.price,
        buyer=buyer,
        seller=listing.seller,
        status=status,
    )


@pytest.mark.django_db
class OrderCreateApiTest:
    def test_new_order_is_201_with_snapshot_history_and_event(
        self, api_client, listing, buyer, seller, buyer_auth
    ):
        response = place(api_client, listing, buyer_auth, message="Can I pick it up Friday?")
        assert response.status_code == 201
        body = response.json()
        assert set(body) == ORDER_KEYS
        assert body["status"] == "requested"
        assert body["listing"] == {
            "id": listing.id, "title": "Road bike", "price": "350.00", "status": "active",
            "cover": None,
        }  # fmt: skip
        assert body["buyer"]["id"] == buyer.id and body["seller"]["id"] == seller.id
        assert body["message"] == "Can I pick it up Friday?"
        assert [(h["status"], h["actor"]["id"]) for h in body["history"]] == [
            ("requested", buyer.id)
        ]
        assert body["actions"] == ["cancel"]
        assert order_events(body["id"]) == ["order.requested"]

    def test_double_submit_is_200_with_the_same_order(self, api_client, listing, buyer_auth):
        first = place(api_client, listing, buyer_auth)
        second = place(api_client, listing, buyer_auth)
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json()["id"] == first.json()["id"]
        assert Order.objects.count() == 1
        assert order_events(first.json()["id"]) == ["order.requested"]

    def test_race_lost_on_the_unique_index_is_200_with_the_winner(
        self, api_client, listing, buyer, buyer_auth
    ):
        winner = make_order(listing, buyer)
        committed = selectors.open_order_of(listing_id=listing.id, buyer_id=buyer.id)
        # The pre-check misses the winner (it committed just after): the insert hits
        # the partial unique index and the service answers with the winner's order.
        with mock.patch.object(selectors, "open_order_of", side_effect=[None, committed]):
            response = place(api_client, listing, buyer_auth)
        assert response.status_code == 200
        assert response.json()["id"] == winner.id
        assert Order.objects.count() == 1
        assert OutboxEvent.objects.filter(topic=ORDERS_TOPIC).count() == 0

    def test_after_a_declined_order_a_new_one_is_created(
        self, api_client, listing, buyer, buyer_auth
    ):
        old = make_order(listing, buyer, status="declined")
        response = place(api_client, listing, buyer_auth)
        assert response.status_code == 201
        assert response.json()["id"] != old.id

    def test_unknown_listing_is_404(self, api_client, buyer_auth):
        response = api_client.post(
            "/api/v1/orders", {"listing": 999999}, format="json", **buyer_auth
        )
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_own_listing_is_403_own_listing(self, api_client, listing, seller_auth):
        response = place(api_client, listing, seller_auth)
        assert response.status_code == 403
        assert response.json()["error"] == "own_listing"
        assert Order.objects.count() == 0

    @pytest.mark.parametrize("status", ["sold", "withdrawn"])
    def test_listing_not_active_is_409(self, api_client, make_listing, buyer_auth, status):
        listing = make_listing(status=status)
        response = place(api_client, listing, buyer_auth)
        assert response.status_code == 409
        assert response.json()["error"] == "listing_not_active"
        assert Order.objects.count() == 0

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "listing"),
            ({"listing": "abc"}, "listing"),
            ({"listing": 0}, "listing"),
            ({"listing": 1, "message": "x" * 1001}, "message"),
            ({"listing": 1, "message": 5}, "message"),
        ],
    )
    def test_bad_input_is_400_per_field_nothing_stored(self, api_client, buyer_auth, body, field):
        response = api_client.post("/api/v1/orders", body, format="json", **buyer_auth)
        assert response.status_code == 400
        assert field in response.json()["fields"]
        assert Order.objects.count() == 0

    def test_anonymous_is_401(self, api_client, listing):
        response = api_client.post("/api/v1/orders", {"listing": listing.id}, format="json")
        assert response.status_code == 401
        assert Order.objects.count() == 0


@pytest.mark.django_db
class OrderReadApiTest:
    def test_list_is_newest_first_for_both_roles(
        self, api_client, make_listing, listing, buyer, seller, buyer_auth
    ):
        bought = make_order(listing, buyer)
        theirs = make_listing(seller=buyer, title="Lamp")
        sold = make_order(theirs, seller)
        body = api_client.get("/api/v1/orders", **buyer_auth).json()
        assert body["count"] == 2
        assert [o["id"] for o in body["results"]] == [sold.id, bought.id]
        assert body["results"][0]["actions"] == ["accept", "decline"]  # seller of that one
        assert body["results"][1]["actions"] == ["cancel"]

    def test_list_filters_by_role_and_status(
        self, api_client, make_listing, listing, buyer, seller, buyer_auth
    ):
        bought = make_order(listing, buyer)
        make_order(make_listing(seller=buyer, title="Lamp"), seller, status="declined")
        as_buyer = api_client.get("/api/v1/orders?role=buyer", **buyer_auth).json()
        assert [o["id"] for o in as_buyer["results"]] == [bought.id]
        declined = api_client.get("/api/v1/orders?status=declined&role=seller", **buyer_auth).json()
        assert declined["count"] == 1

    def test_list_paginates(self, api_client, make_listing, buyer, buyer_auth):
        for _ in range(3):
            make_order(make_listing(), buyer)
        body = api_client.get("/api/v1/orders?page=2&page_size=2", **buyer_auth).json()
        assert (body["count"], body["page"], body["next"], body["previous"]) == (3, 2, None, 1)
        assert len(body["results"]) == 1

    @pytest.mark.parametrize("query", ["role=admin", "status=lost", "page=0", "page_size=101"])
    def test_list_bad_query_is_400(self, api_client, buyer_auth, query):
        response = api_client.get(f"/api/v1/orders?{query}", **buyer_auth)
        assert response.status_code == 400
        assert query.split("=")[0] in response.json()["fields"]

    @pytest.mark.parametrize("orders", [1, 6])
    def test_list_query_count_does_not_grow(
        self, api_client, make_listing, buyer, buyer_auth, django_assert_num_queries, orders
    ):
        for _ in range(orders):
            order = make_order(make_listing(), buyer)
            baker.make(OrderEvent, order=order, status="requested", actor=buyer)
        # authenticator, COUNT, the joined page, the covers, the history with its actors
        with django_assert_num_queries(5):
            body = api_client.get("/api/v1/orders", **buyer_auth).json()
        assert len(body["results"]) == orders

    def test_list_anonymous_is_401(self, api_client):
        assert api_client.get("/api/v1/orders").status_code == 401

    def test_detail_for_each_party_with_their_actions(
        self, api_client, listing, buyer, buyer_auth, seller_auth
    ):
        order = make_order(listing, buyer)
        as_buyer = api_client.get(f"/api/v1/orders/{order.id}", **buyer_auth)
        as_seller = api_client.get(f"/api/v1/orders/{order.id}", **seller_auth)
        assert (as_buyer.status_code, as_seller.status_code) == (200, 200)
        assert as_buyer.json()["actions"] == ["cancel"]
        assert as_seller.json()["actions"] == ["accept", "decline"]

    def test_detail_other_user_is_403(self, api_client, listing, buyer, third_auth):
        order = make_order(listing, buyer)
        assert api_client.get(f"/api/v1/orders/{order.id}", **third_auth).status_code == 403

    def test_detail_unknown_is_404(self, api_client, buyer_auth):
        assert api_client.get("/api/v1/orders/999999", **buyer_auth).status_code == 404

    def test_detail_anonymous_is_401(self, api_client, listing, buyer):
        order = make_order(listing, buyer)
        assert api_client.get(f"/api/v1/orders/{order.id}").status_code == 401

    def test_deleted_listing_keeps_the_snapshot(self, api_client, listing, buyer, buyer_auth):
        order = make_order(listing, buyer, status="declined")
        Listing.objects.filter(pk=listing.pk).delete()
        body = api_client.get(f"/api/v1/orders/{order.id}", **buyer_auth).json()
        assert body["listing"] == {
            "id": None, "title": "Road bike", "price": "350.00", "status": None, "cover": None,
        }  # fmt: skip


@pytest.mark.django_db
class OrderActionApiTest:
    def test_accept_reserves_the_listing_with_a_listing_event(
        self, api_client, listing, buyer, seller, seller_auth
    ):
        order = make_order(listing, buyer)
        response = act(api_client, order.id, "accept", seller_auth)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "accepted"
        assert body["actions"] == ["complete", "cancel"]
        assert body["listing"]["status"] == "reserved"
        assert body["history"][-1]["actor"]["id"] == seller.id
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("reserved", 2)
        event = OutboxEvent.objects.get(topic=settings.OUTBOX_LISTINGS_TOPIC)
        assert event.event_type == events.LISTING_UPDATED
        assert event.payload["version"] == 2
        assert event.payload["listing"]["status"] == "reserved"
        assert order_events(order.id) == ["order.accepted"]

    def test_accept_when_listing_not_active_is_409(
        self, api_client, make_listing, buyer, seller_auth
    ):
        order = make_order(make_listing(status="withdrawn"), buyer)
        response = act(api_client, order.id, "accept", seller_auth)
        assert response.status_code == 409
        assert response.json()["error"] == "listing_not_active"
        order.refresh_from_db()
        assert order.status == "requested"
        assert OutboxEvent.objects.count() == 0

    def test_second_accept_on_a_listing_is_409(
        self, api_client, listing, buyer, third_user, seller_auth
    ):
        first, second = make_order(listing, buyer), make_order(listing, third_user)
        assert act(api_client, first.id, "accept", seller_auth).status_code == 200
        response = act(api_client, second.id, "accept", seller_auth)
        assert response.status_code == 409
        assert response.json()["error"] == "listing_not_active"

    def test_complete_sells_and_declines_the_other_requests(
        self, api_client, listing, buyer, third_user, buyer_auth
    ):
        order = make_order(listing, buyer, status="accepted")
        Listing.objects.filter(pk=listing.pk).update(status="reserved")
        other = make_order(listing, third_user)
        response = act(api_client, order.id, "complete", buyer_auth)
        assert response.status_code == 200
        assert response.json()["status"] == "completed"
        assert response.json()["actions"] == []
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("sold", 2)
        other.refresh_from_db()
        assert other.status == "declined"
        assert other.history.get().actor is None
        assert order_events(other.id) == ["order.declined"]
        assert (
            OutboxEvent.objects.get(topic=ORDERS_TOPIC, key=str(other.id)).payload["actor_id"]
            is None
        )

    def test_cancel_of_accepted_makes_the_listing_active_again(
        self, api_client, listing, buyer, seller_auth
    ):
        order = make_order(listing, buyer, status="accepted")
        Listing.objects.filter(pk=listing.pk).update(status="reserved")
        response = act(api_client, order.id, "cancel", seller_auth)
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("active", 2)

    def test_decline_by_seller_leaves_the_listing(self, api_client, listing, buyer, seller_auth):
        order = make_order(listing, buyer)
        response = act(api_client, order.id, "decline", seller_auth)
        assert response.status_code == 200
        assert response.json()["status"] == "declined"
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("active", 1)
        assert OutboxEvent.objects.filter(topic=settings.OUTBOX_LISTINGS_TOPIC).count() == 0

    def test_buyer_cancels_a_request(self, api_client, listing, buyer, buyer_auth):
        order = make_order(listing, buyer)
        response = act(api_client, order.id, "cancel", buyer_auth)
        assert (response.status_code, response.json()["status"]) == (200, "cancelled")

    @pytest.mark.parametrize(
        ("status", "action", "who"),
        [
            ("requested", "accept", "buyer"),
            ("requested", "decline", "buyer"),
            ("requested", "cancel", "seller"),
            ("declined", "accept", "buyer"),
        ],
    )
    def test_action_not_of_this_party_is_403(
        self, api_client, listing, buyer, buyer_auth, seller_auth, status, action, who
    ):
        order = make_order(listing, buyer, status=status)
        headers = buyer_auth if who == "buyer" else seller_auth
        response = act(api_client, order.id, action, headers)
        assert response.status_code == 403
        order.refresh_from_db()
        assert order.status == status

    @pytest.mark.parametrize(
        ("status", "action"),
        [("declined", "accept"), ("completed", "cancel"), ("requested", "complete"),
         ("cancelled", "decline")],
    )  # fmt: skip
    def test_action_impossible_in_state_is_409_order_state(
        self, api_client, listing, buyer, seller_auth, status, action
    ):
        order = make_order(listing, buyer, status=status)
        response = act(api_client, order.id, action, seller_auth)
        assert response.status_code == 409
        assert response.json()["error"] == "order_state"
        assert OutboxEvent.objects.count() == 0

    def test_stranger_is_403(self, api_client, listing, buyer, third_auth):
        order = make_order(listing, buyer)
        assert act(api_client, order.id, "cancel", third_auth).status_code == 403

    def test_unknown_action_is_400(self, api_client, listing, buyer, seller_auth):
        order = make_order(listing, buyer)
        response = act(api_client, order.id, "refund", seller_auth)
        assert response.status_code == 400
        assert "action" in response.json()["fields"]

    def test_unknown_order_is_404(self, api_client, seller_auth):
        assert act(api_client, 999999, "accept", seller_auth).status_code == 404

    def test_anonymous_is_401(self, api_client, listing, buyer):
        order = make_order(listing, buyer)
        response = api_client.post(
            f"/api/v1/orders/{order.id}/actions", {"action": "cancel"}, format="json"
        )
        assert response.status_code == 401


@pytest.mark.django_db
class DeclineOpenOrdersTest:
    def test_declines_only_requested_orders_as_the_system(self, listing, buyer, third_user):
        from trade.services import decline_open_orders

        requested = make_order(listing, buyer)
        done = make_order(listing, third_user, status="cancelled")
        assert decline_open_orders(listing_id=listing.id) == 1
        requested.refresh_from_db()
        done.refresh_from_db()
        assert (requested.status, done.status) == ("declined", "cancelled")
        assert requested.history.get().actor_id is None
        assert order_events(requested.id) == ["order.declined"]

    def test_listing_without_orders_declines_nothing(self, listing):
        from trade.services import decline_open_orders

        assert decline_open_orders(listing_id=listing.id) == 0
