"""Selling and buying through the public door (HAProxy), across every tier.

Listing changes and orders go exp -> models-api -> the outbox -> Kafka -> the indexer
(search follows the status); messages go exp -> models-api. Each test makes its own
users and listings (unique words), so it runs against any stack, any number of times.
"""

from __future__ import annotations

import threading

import pytest
import requests

from testsupport import create_listing, signup, unique_word, wait_until

pytestmark = pytest.mark.integration

TIMEOUT = 30
# Create -> searchable is ~1 s (freshness p95); the deadline only absorbs a loaded machine.
PIPELINE_DEADLINE = 60


@pytest.fixture(scope="module")
def api(live_site: str) -> str:
    return f"{live_site}/api/v1"


def _search_ids(api: str, word: str) -> list[int] | None:
    response = requests.get(f"{api}/search", params={"q": word}, timeout=TIMEOUT)
    if response.status_code != 200:
        return None
    return [result["id"] for result in response.json()["results"]]


def _listing(api: str, listing_id: int) -> dict:
    response = requests.get(f"{api}/listings/{listing_id}", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


class ListingManagementTest:
    def test_withdraw_hides_from_search_and_reactivate_brings_it_back(self, api):
        seller = signup(api, prefix="mgmt")
        word = unique_word("wd")
        listing = create_listing(api, seller.token, title=f"Bike {word}")
        wait_until(lambda: _search_ids(api, word) == [listing["id"]], PIPELINE_DEADLINE, 0.5)

        withdrawn = requests.patch(
            f"{api}/listings/{listing['id']}",
            json={"status": "withdrawn"},
            headers=seller.headers,
            timeout=TIMEOUT,
        )
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        wait_until(lambda: _search_ids(api, word) == [], PIPELINE_DEADLINE, 0.5, "gone")

        active = requests.patch(
            f"{api}/listings/{listing['id']}",
            json={"status": "active", "title": f"Red bike {word}"},
            headers=seller.headers,
            timeout=TIMEOUT,
        )
        assert active.status_code == 200, active.text
        wait_until(lambda: _search_ids(api, word) == [listing["id"]], PIPELINE_DEADLINE, 0.5)

    def test_other_user_cannot_change_or_delete_and_nothing_changes(self, api):
        seller = signup(api, prefix="mgmt")
        other = signup(api, prefix="mgmt")
        listing = create_listing(api, seller.token, title=f"Chair {unique_word('ow')}")
        url = f"{api}/listings/{listing['id']}"

        patch = requests.patch(url, json={"price": "1.00"}, headers=other.headers, timeout=30)
        delete = requests.delete(url, headers=other.headers, timeout=TIMEOUT)
        anonymous = requests.delete(url, timeout=TIMEOUT)

        assert patch.status_code == 403 and patch.json()["error"] == "permission_denied"
        assert delete.status_code == 403
        assert anonymous.status_code == 401
        assert _listing(api, listing["id"])["price"] == listing["price"]

    def test_delete_removes_page_and_search(self, api):
        seller = signup(api, prefix="mgmt")
        word = unique_word("del")
        listing = create_listing(api, seller.token, title=f"Lamp {word}")
        wait_until(lambda: _search_ids(api, word) == [listing["id"]], PIPELINE_DEADLINE, 0.5)

        deleted = requests.delete(
            f"{api}/listings/{listing['id']}", headers=seller.headers, timeout=TIMEOUT
        )
        assert deleted.status_code == 204
        gone = requests.get(f"{api}/listings/{listing['id']}", timeout=TIMEOUT)
        assert gone.status_code == 404
        wait_until(lambda: _search_ids(api, word) == [], PIPELINE_DEADLINE, 0.5, "gone")


def _order(api: str, buyer, listing_id: int, message: str = "") -> requests.Response:
    return requests.post(
        f"{api}/orders",
        json={"listing": listing_id, "message": message},
        headers=buyer.headers,
        timeout=TIMEOUT,
    )


def _act(api: str, account, order_id: int, action: str) -> requests.Response:
    return requests.post(
        f"{api}/orders/{order_id}/actions",
        json={"action": action},
        headers=account.headers,
        timeout=TIMEOUT,
    )


class OrdersTest:
    def test_order_accept_complete_reserves_then_sells_and_leaves_search(self, api):
        seller = signup(api, prefix="sell")
        buyer = signup(api, prefix="buy")
        word = unique_word("ord")
        listing = create_listing(api, seller.token, title=f"Guitar {word}")
        wait_until(lambda: _search_ids(api, word) == [listing["id"]], PIPELINE_DEADLINE, 0.5)

        first = _order(api, buyer, listing["id"], "Is it still available?")
        again = _order(api, buyer, listing["id"], "Is it still available?")
        assert first.status_code == 201, first.text
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        order = first.json()
        assert order["status"] == "requested"
        assert order["actions"] == ["cancel"]

        own = _order(api, seller, listing["id"])
        assert own.status_code == 403 and own.json()["error"] == "own_listing"
        assert _act(api, buyer, order["id"], "accept").status_code == 403

        accepted = _act(api, seller, order["id"], "accept")
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        assert _listing(api, listing["id"])["status"] == "reserved"
        wait_until(lambda: _search_ids(api, word) == [], PIPELINE_DEADLINE, 0.5, "reserved gone")

        late = _order(api, signup(api, prefix="buy"), listing["id"])
        assert late.status_code == 409 and late.json()["error"] == "listing_not_active"

        completed = _act(api, buyer, order["id"], "complete")
        assert completed.status_code == 200 and completed.json()["status"] == "completed"
        history = [entry["status"] for entry in completed.json()["history"]]
        assert history == ["requested", "accepted", "completed"]
        assert _listing(api, listing["id"])["status"] == "sold"
        assert _act(api, seller, order["id"], "cancel").status_code == 409

        purchases = requests.get(
            f"{api}/orders", params={"role": "buyer"}, headers=buyer.headers, timeout=TIMEOUT
        ).json()
        assert [o["id"] for o in purchases["results"]] == [order["id"]]

    def test_two_buyers_racing_exactly_one_accepted(self, api):
        seller = signup(api, prefix="race")
        listing = create_listing(api, seller.token, title=f"Sofa {unique_word('race')}")
        orders = [
            _order(api, signup(api, prefix="racer"), listing["id"]).json()["id"] for _ in range(2)
        ]
        answers: list[int] = []
        barrier = threading.Barrier(len(orders))

        def accept(order_id: int) -> None:
            barrier.wait(timeout=TIMEOUT)
            answers.append(_act(api, seller, order_id, "accept").status_code)

        threads = [threading.Thread(target=accept, args=(oid,)) for oid in orders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=2 * TIMEOUT)

        assert sorted(answers) == [200, 409]
        states = [
            requests.get(f"{api}/orders/{oid}", headers=seller.headers, timeout=TIMEOUT).json()[
                "status"
            ]
            for oid in orders
        ]
        assert sorted(states) == ["accepted", "requested"]

    def test_cancel_of_accepted_order_makes_listing_active_again(self, api):
        seller = signup(api, prefix="sell")
        buyer = signup(api, prefix="buy")
        listing = create_listing(api, seller.token, title=f"Desk {unique_word('cx')}")
        order = _order(api, buyer, listing["id"]).json()
        assert _act(api, seller, order["id"], "accept").status_code == 200

        cancelled = _act(api, seller, order["id"], "cancel")

        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert _listing(api, listing["id"])["status"] == "active"

    def test_third_user_cannot_see_the_order(self, api):
        seller = signup(api, prefix="sell")
        buyer = signup(api, prefix="buy")
        stranger = signup(api, prefix="peek")
        listing = create_listing(api, seller.token, title=f"Rug {unique_word('pk')}")
        order = _order(api, buyer, listing["id"]).json()

        peek = requests.get(f"{api}/orders/{order['id']}", headers=stranger.headers, timeout=30)

        assert peek.status_code == 403


class MessagesTest:
    def test_buyer_writes_seller_answers_unread_counts_follow(self, api):
        seller = signup(api, prefix="sell")
        buyer = signup(api, prefix="buy")
        listing = create_listing(api, seller.token, title=f"Kettle {unique_word('msg')}")
        hostile = "<script>alert('x')</script> Is it still available?"

        started = requests.post(
            f"{api}/listings/{listing['id']}/messages",
            json={"body": hostile, "client_token": "tok-1"},
            headers=buyer.headers,
            timeout=TIMEOUT,
        )
        repeated = requests.post(
            f"{api}/listings/{listing['id']}/messages",
            json={"body": hostile, "client_token": "tok-1"},
            headers=buyer.headers,
            timeout=TIMEOUT,
        )
        assert started.status_code == 201, started.text
        assert repeated.status_code == 200
        thread_id = started.json()["thread"]["id"]
        assert repeated.json()["message"]["id"] == started.json()["message"]["id"]

        def seller_unread():
            me = requests.get(f"{api}/me", headers=seller.headers, timeout=TIMEOUT).json()
            return me.get("unread_messages") == 1

        wait_until(seller_unread, 30, 0.5, "the seller's unread count")

        thread = requests.get(f"{api}/threads/{thread_id}", headers=seller.headers, timeout=30)
        assert thread.status_code == 200
        assert [m["body"] for m in thread.json()["messages"]] == [hostile]
        answer = requests.post(
            f"{api}/threads/{thread_id}",
            json={"body": "Yes, come by tomorrow."},
            headers=seller.headers,
            timeout=TIMEOUT,
        )
        assert answer.status_code == 201, answer.text

        def read_by_seller():
            me = requests.get(f"{api}/me", headers=seller.headers, timeout=TIMEOUT).json()
            return me.get("unread_messages") == 0

        wait_until(read_by_seller, 30, 0.5, "the seller's thread marked read")
        inbox = requests.get(f"{api}/threads", headers=buyer.headers, timeout=TIMEOUT).json()
        assert [t["id"] for t in inbox["results"]] == [thread_id]
        assert inbox["results"][0]["unread"] == 1

        own = requests.post(
            f"{api}/listings/{listing['id']}/messages",
            json={"body": "hello me"},
            headers=seller.headers,
            timeout=TIMEOUT,
        )
        assert own.status_code == 403
        empty = requests.post(
            f"{api}/threads/{thread_id}", json={"body": "   "}, headers=buyer.headers, timeout=30
        )
        assert empty.status_code == 400 and "body" in empty.json()["fields"]
        stranger = signup(api, prefix="peek")
        peek = requests.get(f"{api}/threads/{thread_id}", headers=stranger.headers, timeout=30)
        assert peek.status_code == 403
