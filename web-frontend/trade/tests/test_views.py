"""Orders and conversations pages through the Django test client (API stubbed over HTTP)."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_listing, make_user

ALICE = {"id": 7, "username": "alice", "display_name": "Alice A."}
BOB = {"id": 9, "username": "bob", "display_name": "Bob"}


def an_order(**overrides) -> dict:
    order = {
        "id": 31,
        "status": "requested",
        "listing": {"id": 5, "title": "Lamp", "price": "12.50", "status": "active", "cover": None},
        "buyer": ALICE,
        "seller": BOB,
        "message": "<b>Saturday?</b>",
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:00Z",
        "history": [{"status": "requested", "actor": ALICE, "at": "2026-12-01T10:00:00Z"}],
        "actions": ["cancel"],
    }
    order.update(overrides)
    return order


def a_thread_page(body="Hello") -> dict:
    message = {"id": 3, "sender": ALICE, "body": body, "created_at": "2026-12-01T10:00:00Z"}
    thread = {
        "id": 12,
        "listing": {"id": 5, "title": "Lamp", "status": "active", "cover": None},
        "buyer": ALICE,
        "seller": BOB,
        "created_at": "2026-12-01T10:00:00Z",
        "last_message_at": "2026-12-01T10:00:00Z",
        "unread": 0,
        "last_message": message,
    }
    return {"thread": thread, "messages": [message], "count": 1, "page": 1, "pages": 1}


class OrderPagesTest:
    def test_order_from_listing_redirects_to_the_order(self, logged_in, api):
        api.post("orders", an_order(), status=201)
        response = logged_in.post("/listings/5/order/", {"message": "Saturday?"})
        assert (response.status_code, response["Location"]) == (302, "/orders/31/")
        assert api.json_sent("POST", "orders") == [{"listing": 5, "message": "Saturday?"}]

    def test_order_of_inactive_listing_goes_back_with_the_message(self, logged_in, api):
        api.post(
            "orders",
            {"error": "listing_not_active", "detail": "This listing is no longer for sale."},
            status=409,
        )
        response = logged_in.post("/listings/5/order/", {}, follow=False)
        assert (response.status_code, response["Location"]) == (302, "/listings/5/")

    def test_order_anonymous_goes_to_login(self, client, api):
        response = client.post("/listings/5/order/")
        assert (response.status_code, response["Location"]) == (
            302,
            "/login/?next=%2Flistings%2F5%2F",
        )

    def test_message_anonymous_goes_to_login_back_to_the_listing(self, client, api):
        response = client.post("/listings/5/messages/", {"body": "Hi"})
        assert (response.status_code, response["Location"]) == (
            302,
            "/login/?next=%2Flistings%2F5%2F",
        )
        assert api.calls_to("POST", "listings/5/messages") == []

    def test_order_double_submit_redirects_to_the_same_order(self, logged_in, api):
        api.post("orders", an_order(), status=200)
        first = logged_in.post("/listings/5/order/", {})
        second = logged_in.post("/listings/5/order/", {})
        assert first["Location"] == second["Location"] == "/orders/31/"

    def test_missing_order_is_the_404_page(self, logged_in, api):
        api.get("orders/99", {"error": "not_found", "detail": "No such order."}, status=404)
        assert logged_in.get("/orders/99/").status_code == 404

    def test_order_without_csrf_token_is_403(self, api):
        strict = Client(enforce_csrf_checks=True)
        assert strict.post("/listings/5/order/").status_code == 403

    def test_order_page_shows_actions_notice_and_escapes_the_note(self, logged_in, api):
        api.get("orders/31", an_order())
        response = logged_in.get("/orders/31/")
        page = response.content.decode()
        assert response.status_code == 200
        assert 'id="order-status">requested<' in page
        assert 'name="action" value="cancel"' in page
        assert "No payment is taken on this site" in page
        assert "&lt;b&gt;Saturday?&lt;/b&gt;" in page and "<b>Saturday?</b>" not in page

    def test_order_of_someone_else_is_the_403_page(self, logged_in, api):
        api.get("orders/31", {"error": "permission_denied", "detail": "Not yours."}, status=403)
        assert logged_in.get("/orders/31/").status_code == 403

    def test_action_redirects_back_and_conflict_is_a_message(self, logged_in, api):
        api.post("orders/31/actions", {"error": "order_state", "detail": "Too late."}, status=409)
        response = logged_in.post("/orders/31/", {"action": "cancel"})
        assert (response.status_code, response["Location"]) == (302, "/orders/31/")

    def test_orders_lists_purchases_and_sales(self, logged_in, api):
        page = {"results": [an_order()], "total": 1, "page": 1, "pages": 1}
        api.get("orders", page)
        response = logged_in.get("/orders/")
        assert response.status_code == 200
        assert response.content.decode().count('href="/orders/31/"') == 2


class MessagePagesTest:
    def test_write_to_seller_redirects_to_the_thread(self, logged_in, api):
        api.post("listings/5/messages", {"thread": {"id": 12}, "message": {"id": 3}}, status=201)
        response = logged_in.post("/listings/5/messages/", {"body": "Hi", "client_token": "t1"})
        assert (response.status_code, response["Location"]) == (302, "/messages/12/")
        assert api.json_sent("POST", "listings/5/messages") == [
            {"body": "Hi", "client_token": "t1"}
        ]

    def test_empty_message_shows_the_form_again_and_sends_nothing(self, logged_in, api):
        api.get("listings/5", make_listing(id=5, seller=BOB))
        response = logged_in.post("/listings/5/messages/", {"body": "   "})
        assert response.status_code == 200
        assert "Write a message first." in response.content.decode()
        assert api.calls_to("POST", "listings/5/messages") == []

    def test_thread_page_escapes_hostile_text(self, logged_in, api):
        api.get("threads/12", a_thread_page("<script>alert(1)</script>"))
        page = logged_in.get("/messages/12/").content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)</script>" not in page
        assert 'id="reply-form"' in page

    def test_reply_is_post_redirect_get(self, logged_in, api):
        api.post("threads/12", {"id": 4}, status=201)
        response = logged_in.post("/messages/12/", {"body": "Thanks", "client_token": "t2"})
        assert (response.status_code, response["Location"]) == (302, "/messages/12/")

    def test_too_long_reply_shows_the_thread_again_and_sends_nothing(self, logged_in, api):
        api.get("threads/12", a_thread_page())
        response = logged_in.post("/messages/12/", {"body": "x" * 5001, "client_token": "t3"})
        assert response.status_code == 200
        assert 'class="invalid-feedback d-block"' in response.content.decode()
        assert api.calls_to("POST", "threads/12") == []

    def test_stranger_gets_the_403_page(self, logged_in, api):
        api.get("threads/12", {"error": "permission_denied", "detail": "No."}, status=403)
        assert logged_in.get("/messages/12/").status_code == 403

    def test_inbox_anonymous_goes_to_login(self, client, api):
        assert client.get("/messages/").status_code == 302


@pytest.mark.parametrize("unread", [0, 3])
def test_header_shows_messages_link_and_unread_badge(client, api, unread):
    from django.conf import settings

    from conftest import TOKEN

    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    api.me({"unread_messages": unread})
    api.home()
    page = client.get("/").content.decode()
    assert 'href="/messages/"' in page
    assert ('id="unread-count"' in page) is bool(unread)


class ListingBuyBoxTest:
    def test_anonymous_listing_page_has_a_login_link_and_no_form(self, client, api):
        api.get("listings/5", {**make_listing(id=5, seller=BOB), "recommendations": []})
        page = client.get("/listings/5/").content.decode()
        assert "/login/?next=/listings/5/" in page
        assert "csrfmiddlewaretoken" not in page
        assert 'id="order-form"' not in page

    def test_buyer_sees_order_and_message_forms(self, logged_in, api):
        api.get("listings/5", {**make_listing(id=5, seller=BOB), "recommendations": []})
        page = logged_in.get("/listings/5/").content.decode()
        assert 'id="order-form"' in page and 'id="message-form"' in page

    def test_seller_sees_no_buy_box(self, logged_in, api):
        api.get("listings/5", {**make_listing(id=5, seller=make_user()), "recommendations": []})
        page = logged_in.get("/listings/5/").content.decode()
        assert 'id="order-form"' not in page and 'id="message-form"' not in page
