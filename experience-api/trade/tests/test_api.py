"""Orders and conversations through the public API, models-api stubbed over HTTP."""

from __future__ import annotations

import pytest
import responses

from conftest import MODELS, calls_to

BRIEF = {"id": 7, "username": "ada", "display_name": "Ada L."}
SELLER = {"id": 9, "username": "sam", "display_name": "Sam"}


def an_order(**overrides) -> dict:
    order = {
        "id": 31,
        "status": "requested",
        "listing": {"id": 5, "title": "Lamp", "price": "12.50", "status": "active", "cover": None},
        "buyer": BRIEF,
        "seller": SELLER,
        "message": "",
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:00Z",
        "history": [{"status": "requested", "actor": BRIEF, "at": "2026-12-01T10:00:00Z"}],
        "actions": ["cancel"],
    }
    order.update(overrides)
    return order


def a_message(**overrides) -> dict:
    message = {"id": 3, "sender": BRIEF, "body": "Hi", "created_at": "2026-12-01T10:00:00Z"}
    message.update(overrides)
    return message


def a_thread(**overrides) -> dict:
    thread = {
        "id": 12,
        "listing": {"id": 5, "title": "Lamp", "status": "active", "cover": None},
        "buyer": BRIEF,
        "seller": SELLER,
        "created_at": "2026-12-01T10:00:00Z",
        "last_message_at": "2026-12-01T10:00:00Z",
        "unread": 2,
        "last_message": a_message(),
    }
    thread.update(overrides)
    return thread


@pytest.mark.django_db(databases=[])
class OrdersApiTest:
    def test_create_is_201_and_drops_the_cached_listing(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/orders", json=an_order(), status=201)
        response = signed_in.post("/api/v1/orders", {"listing": 5}, format="json")
        assert response.status_code == 201
        assert response.json()["id"] == 31
        assert len(calls_to(models, "POST", "/orders")) == 1

    def test_repeated_create_is_200_with_the_same_order(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/orders", json=an_order(), status=200)
        response = signed_in.post("/api/v1/orders", {"listing": 5}, format="json")
        assert response.status_code == 200

    def test_create_conflict_passes_through_as_409(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/orders",
            json={"error": "listing_not_active", "detail": "This listing is not for sale."},
            status=409,
        )
        response = signed_in.post("/api/v1/orders", {"listing": 5}, format="json")
        assert response.status_code == 409
        assert response.json()["error"] == "listing_not_active"
        assert len(calls_to(models, "POST", "/orders")) == 1  # a write is never retried

    def test_create_own_listing_passes_through_as_403(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/orders",
            json={"error": "own_listing", "detail": "You cannot buy your own listing."},
            status=403,
        )
        response = signed_in.post("/api/v1/orders", {"listing": 5}, format="json")
        assert (response.status_code, response.json()["error"]) == (403, "own_listing")

    def test_create_invalid_input_is_400_without_calling_models(self, signed_in, models):
        response = signed_in.post(
            "/api/v1/orders", {"listing": "x", "message": "m" * 1001}, format="json"
        )
        assert response.status_code == 400
        assert {"listing", "message"} <= set(response.json()["fields"])
        assert calls_to(models, "POST", "/orders") == []

    def test_anonymous_is_401(self, api):
        assert api.get("/api/v1/orders").status_code == 401
        assert api.post("/api/v1/orders", {"listing": 5}, format="json").status_code == 401

    def test_list_pages_models_answer(self, signed_in, models):
        models.add(
            responses.GET,
            f"{MODELS}/orders",
            json={"count": 1, "page": 1, "page_size": 20, "next": None, "previous": None,
                  "results": [an_order()]},
        )  # fmt: skip
        body = signed_in.get("/api/v1/orders?role=buyer").json()
        assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
        assert [o["id"] for o in body["results"]] == [31]
        assert "role=buyer" in calls_to(models, "GET", "/orders")[0].request.url

    def test_list_unknown_role_is_400(self, signed_in):
        assert signed_in.get("/api/v1/orders?role=thief").status_code == 400

    def test_action_answers_the_order(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/orders/31/actions",
            json=an_order(status="cancelled", actions=[]),
        )
        response = signed_in.post("/api/v1/orders/31/actions", {"action": "cancel"}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"

    def test_action_unknown_is_400(self, signed_in, models):
        response = signed_in.post("/api/v1/orders/31/actions", {"action": "steal"}, format="json")
        assert response.status_code == 400
        assert "action" in response.json()["fields"]

    def test_action_in_wrong_state_is_409(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/orders/31/actions",
            json={"error": "order_state", "detail": "Not possible now."},
            status=409,
        )
        response = signed_in.post(
            "/api/v1/orders/31/actions", {"action": "complete"}, format="json"
        )
        assert (response.status_code, response.json()["error"]) == (409, "order_state")

    def test_other_users_order_is_403(self, signed_in, models):
        models.add(
            responses.GET,
            f"{MODELS}/orders/31",
            json={"error": "permission_denied", "detail": "Not yours."},
            status=403,
        )
        assert signed_in.get("/api/v1/orders/31").status_code == 403


@pytest.mark.django_db(databases=[])
class ThreadsApiTest:
    def test_write_to_seller_is_201_then_200_for_the_same_token(self, signed_in, models):
        answer = {"thread": a_thread(), "message": a_message()}
        models.add(responses.POST, f"{MODELS}/listings/5/messages", json=answer, status=201)
        models.add(responses.POST, f"{MODELS}/listings/5/messages", json=answer, status=200)
        body = {"body": "Hi", "client_token": "t-1"}
        first = signed_in.post("/api/v1/listings/5/messages", body, format="json")
        again = signed_in.post("/api/v1/listings/5/messages", body, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert calls_to(models, "POST", "/listings/5/messages")[0].request.body == (
            b'{"body": "Hi", "client_token": "t-1"}'
        )

    def test_blank_or_too_long_body_is_400_and_nothing_sent(self, signed_in, models):
        for body in ("   ", "x" * 2001):
            response = signed_in.post("/api/v1/threads/12", {"body": body}, format="json")
            assert response.status_code == 400
            assert "body" in response.json()["fields"]
        assert calls_to(models, "POST", "/threads/12/messages") == []

    def test_open_thread_marks_it_read(self, signed_in, models):
        models.add(
            responses.GET,
            f"{MODELS}/threads/12",
            json={"thread": a_thread(), "messages": [a_message()], "count": 1, "page": 1,
                  "pages": 1},
        )  # fmt: skip
        models.add(responses.POST, f"{MODELS}/threads/12/read", status=204)
        response = signed_in.get("/api/v1/threads/12")
        assert response.status_code == 200
        assert response.json()["thread"]["unread"] == 0
        assert len(calls_to(models, "POST", "/threads/12/read")) == 1

    def test_open_thread_still_answers_when_read_marking_fails(self, signed_in, models):
        models.add(
            responses.GET,
            f"{MODELS}/threads/12",
            json={"thread": a_thread(), "messages": [], "count": 0, "page": 1, "pages": 1},
        )
        models.add(responses.POST, f"{MODELS}/threads/12/read", status=503)
        response = signed_in.get("/api/v1/threads/12")
        assert response.status_code == 200
        assert response.json()["thread"]["unread"] == 2

    def test_stranger_is_403(self, signed_in, models):
        models.add(
            responses.GET,
            f"{MODELS}/threads/12",
            json={"error": "permission_denied", "detail": "Not yours."},
            status=403,
        )
        assert signed_in.get("/api/v1/threads/12").status_code == 403

    def test_inbox_lists_threads(self, signed_in, models):
        models.add(
            responses.GET,
            f"{MODELS}/threads",
            json={"count": 1, "page": 1, "page_size": 20, "next": None, "previous": None,
                  "results": [a_thread()]},
        )  # fmt: skip
        body = signed_in.get("/api/v1/threads").json()
        assert [t["unread"] for t in body["results"]] == [2]

    def test_unread_count_is_cached_and_dropped_when_the_user_writes(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 4})
        models.add(
            responses.POST,
            f"{MODELS}/threads/12/messages",
            json=a_message(),
            status=201,
        )
        assert signed_in.get("/api/v1/me").json()["unread_messages"] == 4
        assert signed_in.get("/api/v1/me").json()["unread_messages"] == 4
        assert len(calls_to(models, "GET", "/threads/unread")) == 1
        signed_in.post("/api/v1/threads/12", {"body": "Thanks"}, format="json")
        signed_in.get("/api/v1/me")
        assert len(calls_to(models, "GET", "/threads/unread")) == 2
