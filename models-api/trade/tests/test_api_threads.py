"""Buyer-seller threads and messages through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from model_bakery import baker

from catalogue.models import Listing
from mpcommon import events
from outbox.models import OutboxEvent
from trade.models import Message, Thread

THREAD_KEYS = {
    "id", "listing", "buyer", "seller", "created_at", "last_message_at", "unread",
    "last_message",
}  # fmt: skip
MESSAGES_TOPIC = settings.OUTBOX_TOPIC_PREFIX + events.TOPIC_MESSAGES


def write(api_client, listing, headers, body="Is it still available?", **extra):
    return api_client.post(
        f"/api/v1/listings/{listing.id}/messages", {"body": body, **extra}, format="json", **headers
    )


def reply(api_client, thread_id, headers, body="Yes it is.", **extra):
    return api_client.post(
        f"/api/v1/threads/{thread_id}/messages", {"body": body, **extra}, format="json", **headers
    )


def make_thread(listing, buyer, **fields):
    return baker.make(
        Thread,
        listing=listing,
        listing_title=listing.title,
        buyer=buyer,
        seller=listing.seller,
        **fields,
    )


@pytest.mark.django_db
class ListingMessageApiTest:
    def test_first_message_opens_a_thread_and_records_an_event(
        self, api_client, listing, buyer, seller, buyer_auth
    ):
        response = write(api_client, listing, buyer_auth, body="  Is it still available?  ")
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"thread", "message"}
        assert set(body["thread"]) == THREAD_KEYS
        assert body["thread"]["listing"] == {
            "id": listing.id, "title": "Road bike", "status": "active", "cover": None
        }  # fmt: skip
        assert body["thread"]["seller"]["id"] == seller.id
        assert body["thread"]["unread"] == 0
        assert body["message"]["body"] == "Is it still available?"
        assert body["message"]["sender"]["id"] == buyer.id
        assert body["thread"]["last_message"] == body["message"]
        event = OutboxEvent.objects.get(topic=MESSAGES_TOPIC)
        assert event.key == str(body["thread"]["id"])
        assert (event.payload["sender_id"], event.payload["recipient_id"]) == (buyer.id, seller.id)

    def test_second_message_uses_the_same_thread(self, api_client, listing, buyer_auth):
        first = write(api_client, listing, buyer_auth).json()
        second = write(api_client, listing, buyer_auth, body="Hello?").json()
        assert first["thread"]["id"] == second["thread"]["id"]
        assert Thread.objects.count() == 1 and Message.objects.count() == 2

    def test_repeated_client_token_is_200_with_the_first_message(
        self, api_client, listing, buyer_auth
    ):
        first = write(api_client, listing, buyer_auth, client_token="tok-1")
        again = write(api_client, listing, buyer_auth, body="changed", client_token="tok-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["message"] == first.json()["message"]
        assert Message.objects.count() == 1
        assert OutboxEvent.objects.filter(topic=MESSAGES_TOPIC).count() == 1

    def test_seller_is_403_own_listing(self, api_client, listing, seller_auth):
        response = write(api_client, listing, seller_auth)
        assert response.status_code == 403
        assert response.json()["error"] == "own_listing"
        assert Thread.objects.count() == 0

    def test_unknown_listing_is_404(self, api_client, buyer_auth):
        response = api_client.post(
            "/api/v1/listings/999999/messages", {"body": "hi"}, format="json", **buyer_auth
        )
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "body"),
            ({"body": "   "}, "body"),
            ({"body": "x" * 2001}, "body"),
            ({"body": 12}, "body"),
            ({"body": "hi", "client_token": "t" * 65}, "client_token"),
        ],
    )
    def test_bad_input_is_400_per_field_nothing_stored(
        self, api_client, listing, buyer_auth, body, field
    ):
        response = api_client.post(
            f"/api/v1/listings/{listing.id}/messages", body, format="json", **buyer_auth
        )
        assert response.status_code == 400
        assert field in response.json()["fields"]
        assert Thread.objects.count() == 0 and Message.objects.count() == 0

    def test_body_of_exactly_the_limit_is_stored(self, api_client, listing, buyer_auth):
        assert write(api_client, listing, buyer_auth, body="x" * 2000).status_code == 201

    def test_anonymous_is_401(self, api_client, listing):
        response = api_client.post(
            f"/api/v1/listings/{listing.id}/messages", {"body": "hi"}, format="json"
        )
        assert response.status_code == 401


@pytest.mark.django_db
class ThreadApiTest:
    def test_seller_replies_and_unread_counts_follow(
        self, api_client, listing, buyer_auth, seller_auth
    ):
        thread_id = write(api_client, listing, buyer_auth).json()["thread"]["id"]
        assert api_client.get("/api/v1/threads/unread", **seller_auth).json() == {"unread": 1}
        assert api_client.get("/api/v1/threads/unread", **buyer_auth).json() == {"unread": 0}
        response = reply(api_client, thread_id, seller_auth)
        assert response.status_code == 201
        assert response.json()["body"] == "Yes it is."
        assert api_client.get("/api/v1/threads/unread", **buyer_auth).json() == {"unread": 1}
        read = api_client.post(f"/api/v1/threads/{thread_id}/read", **buyer_auth)
        assert read.status_code == 204
        assert api_client.get("/api/v1/threads/unread", **buyer_auth).json() == {"unread": 0}
        detail = api_client.get(f"/api/v1/threads/{thread_id}", **buyer_auth).json()
        assert detail["thread"]["unread"] == 0
        seller_view = api_client.get(f"/api/v1/threads/{thread_id}", **seller_auth).json()
        assert seller_view["thread"]["unread"] == 1

    def test_reply_repeated_token_is_200_with_the_first(
        self, api_client, listing, buyer_auth, seller_auth
    ):
        thread_id = write(api_client, listing, buyer_auth).json()["thread"]["id"]
        first = reply(api_client, thread_id, seller_auth, client_token="abc")
        again = reply(api_client, thread_id, seller_auth, client_token="abc")
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json() == again.json()

    def test_same_token_by_the_other_participant_is_a_new_message(
        self, api_client, listing, buyer_auth, seller_auth
    ):
        thread_id = write(api_client, listing, buyer_auth, client_token="abc").json()["thread"][
            "id"
        ]
        assert reply(api_client, thread_id, seller_auth, client_token="abc").status_code == 201

    def test_detail_pages_newest_first_oldest_first_within(
        self, api_client, listing, buyer, buyer_auth
    ):
        thread = make_thread(listing, buyer)
        start = timezone.now() - timedelta(hours=1)
        for n in range(105):
            baker.make(
                Message, thread=thread, sender=buyer, body=f"m{n}",
                created_at=start + timedelta(seconds=n),
            )  # fmt: skip
        first = api_client.get(f"/api/v1/threads/{thread.id}", **buyer_auth).json()
        assert (first["count"], first["page"], first["pages"]) == (105, 1, 2)
        assert [m["body"] for m in first["messages"]][:2] == ["m5", "m6"]
        assert first["messages"][-1]["body"] == "m104"
        second = api_client.get(f"/api/v1/threads/{thread.id}?page=2", **buyer_auth).json()
        assert [m["body"] for m in second["messages"]] == [f"m{n}" for n in range(5)]

    def test_detail_bad_page_is_400(self, api_client, listing, buyer, buyer_auth):
        thread = make_thread(listing, buyer)
        response = api_client.get(f"/api/v1/threads/{thread.id}?page=0", **buyer_auth)
        assert response.status_code == 400
        assert "page" in response.json()["fields"]

    def test_stranger_is_403_everywhere(self, api_client, listing, buyer, third_auth):
        thread = make_thread(listing, buyer)
        assert api_client.get(f"/api/v1/threads/{thread.id}", **third_auth).status_code == 403
        assert reply(api_client, thread.id, third_auth).status_code == 403
        assert api_client.post(f"/api/v1/threads/{thread.id}/read", **third_auth).status_code == 403
        assert Message.objects.count() == 0

    def test_unknown_thread_is_404(self, api_client, buyer_auth):
        assert api_client.get("/api/v1/threads/999999", **buyer_auth).status_code == 404
        assert reply(api_client, 999999, buyer_auth).status_code == 404
        assert api_client.post("/api/v1/threads/999999/read", **buyer_auth).status_code == 404

    def test_reply_bad_body_is_400(self, api_client, listing, buyer, buyer_auth):
        thread = make_thread(listing, buyer)
        response = reply(api_client, thread.id, buyer_auth, body="")
        assert response.status_code == 400
        assert "body" in response.json()["fields"]

    def test_anonymous_is_401(self, api_client, listing, buyer):
        thread = make_thread(listing, buyer)
        assert api_client.get("/api/v1/threads").status_code == 401
        assert api_client.get("/api/v1/threads/unread").status_code == 401
        assert api_client.get(f"/api/v1/threads/{thread.id}").status_code == 401
        assert api_client.post(f"/api/v1/threads/{thread.id}/read").status_code == 401

    def test_deleted_listing_keeps_the_thread_with_its_snapshot(
        self, api_client, listing, buyer, buyer_auth
    ):
        thread = make_thread(listing, buyer)
        Listing.objects.filter(pk=listing.pk).delete()
        body = api_client.get(f"/api/v1/threads/{thread.id}", **buyer_auth).json()
        assert body["thread"]["listing"] == {
            "id": None, "title": "Road bike", "status": None, "cover": None
        }  # fmt: skip


@pytest.mark.django_db
class ThreadListApiTest:
    def test_latest_activity_first_with_unread_and_last_message(
        self, api_client, make_listing, buyer, seller, seller_auth
    ):
        now = timezone.now()
        old = make_thread(make_listing(), buyer, last_message_at=now - timedelta(hours=2))
        new = make_thread(make_listing(), buyer, last_message_at=now - timedelta(hours=1))
        baker.make(Message, thread=old, sender=buyer, body="a", created_at=now - timedelta(hours=3))
        last = baker.make(
            Message, thread=old, sender=buyer, body="b", created_at=now - timedelta(hours=2)
        )
        body = api_client.get("/api/v1/threads", **seller_auth).json()
        assert body["count"] == 2
        assert [t["id"] for t in body["results"]] == [new.id, old.id]
        assert body["results"][1]["unread"] == 2
        assert body["results"][1]["last_message"]["id"] == last.id
        assert body["results"][0]["last_message"] is None

    def test_only_the_users_threads(self, api_client, listing, buyer, third_user, third_auth):
        make_thread(listing, buyer)
        body = api_client.get("/api/v1/threads", **third_auth).json()
        assert body["count"] == 0 and body["results"] == []

    def test_bad_page_size_is_400(self, api_client, buyer_auth):
        response = api_client.get("/api/v1/threads?page_size=0", **buyer_auth)
        assert response.status_code == 400
        assert "page_size" in response.json()["fields"]

    @pytest.mark.parametrize("threads", [1, 6])
    def test_query_count_does_not_grow(
        self, api_client, make_listing, buyer, seller_auth, django_assert_num_queries, threads
    ):
        for _ in range(threads):
            thread = make_thread(make_listing(), buyer)
            baker.make(Message, thread=thread, sender=buyer, body="hi", _quantity=2)
        # authenticator, COUNT, the page with unread counts, the covers, the last messages
        with django_assert_num_queries(5):
            body = api_client.get("/api/v1/threads", **seller_auth).json()
        assert len(body["results"]) == threads
        assert all(t["unread"] == 2 for t in body["results"])
