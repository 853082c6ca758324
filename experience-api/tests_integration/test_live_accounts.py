"""Accounts and notifications through the public API of the live stack (issue 13):
profile, password change and reset (the email read back from MailDev), favourites and
saved searches. Credential calls go out on sessions of their own loopback address
(``testsupport.session``): HAProxy rate-limits ``/api/v1/auth/`` per address."""

from __future__ import annotations

import pytest
import requests

from mpcommon.account_rules import MESSAGE_RESET_SENT, MESSAGE_RESET_TOKEN_INVALID
from testsupport import (
    bearer,
    change_password,
    create_listing,
    link_in,
    login,
    public_url,
    session,
    signup,
    unique_address,
    wait_for_email,
)

pytestmark = pytest.mark.integration
TIMEOUT = 15
NEW_PASSWORD = "Live-suite-changed-77"


def me(base_url, token) -> requests.Response:
    return requests.get(base_url + "/me", headers=bearer(token), timeout=TIMEOUT)


class ProfileTest:
    def test_patch_me_shows_on_me_and_on_the_public_profile(self, base_url):
        account = signup(base_url, prefix="itprof")
        changed = requests.patch(
            base_url + "/me",
            headers=account.headers,
            json={"display_name": "Live Tester", "bio": "Tests the live stack."},
            timeout=TIMEOUT,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["email"] == account.user["email"]
        assert me(base_url, account.token).json()["bio"] == "Tests the live stack."
        profile = requests.get(f"{base_url}/users/{account.id}", timeout=TIMEOUT).json()
        assert (profile["user"]["display_name"], profile["user"]["bio"]) == (
            "Live Tester",
            "Tests the live stack.",
        )
        assert "email" not in profile["user"]


class PasswordTest:
    def test_change_revokes_the_other_sessions_at_once_and_keeps_this_one(self, base_url):
        account = signup(base_url, prefix="itpw")
        other = login(base_url, account.username, account.password)
        assert me(base_url, other).status_code == 200  # its resolution is now cached
        changed = change_password(base_url, account, NEW_PASSWORD)
        assert changed.json() == {"revoked": 1}
        assert me(base_url, other).status_code == 401
        assert me(base_url, account.token).status_code == 200
        assert login(base_url, account.username, NEW_PASSWORD)

    def test_reset_by_email_link_sets_the_password_and_revokes_every_session(self, base_url):
        account = signup(base_url, prefix="itreset")
        email = account.user["email"]
        with session(base_url) as http:
            asked = http.post(
                base_url + "/auth/password-reset", json={"email": email}, timeout=TIMEOUT
            )
            unknown = http.post(
                base_url + "/auth/password-reset",
                json={"email": unique_address("nobody")},
                timeout=TIMEOUT,
            )
        # The same answer whether or not an account uses the address.
        assert (asked.status_code, asked.json()) == (202, {"detail": MESSAGE_RESET_SENT})
        assert (unknown.status_code, unknown.json()) == (asked.status_code, asked.json())

        link = link_in(wait_for_email(email), starting_with=public_url() + "/password-reset/")
        token = link.rstrip("/").rsplit("/", 1)[1]
        with session(base_url) as http:
            checked = http.post(
                base_url + "/auth/password-reset/check", json={"token": token}, timeout=TIMEOUT
            )
            assert (checked.status_code, checked.json()) == (200, {"username": account.username})
            confirmed = http.post(
                base_url + "/auth/password-reset/confirm",
                json={"token": token, "new_password": NEW_PASSWORD},
                timeout=TIMEOUT,
            )
            assert confirmed.status_code == 200, confirmed.text
            assert me(base_url, account.token).status_code == 401
            again = http.post(
                base_url + "/auth/password-reset/confirm",
                json={"token": token, "new_password": NEW_PASSWORD + "x"},
                timeout=TIMEOUT,
            )
        assert again.status_code == 400  # single use
        assert again.json()["fields"] == {"token": [MESSAGE_RESET_TOKEN_INVALID]}
        assert login(base_url, account.username, NEW_PASSWORD)


class FavouritesTest:
    def test_favourite_shows_in_the_list_and_the_ids_then_goes(self, base_url):
        seller, buyer = signup(base_url, prefix="itfavs"), signup(base_url, prefix="itfavb")
        listing = create_listing(base_url, seller.token, title="Live favourite lamp")
        url = f"{base_url}/favourites/{listing['id']}"

        added = requests.put(url, headers=buyer.headers, timeout=TIMEOUT)
        assert added.json() == {"listing": listing["id"], "favourited": True, "count": 1}
        page = requests.get(base_url + "/favourites", headers=buyer.headers, timeout=TIMEOUT)
        assert [card["id"] for card in page.json()["results"]] == [listing["id"]]
        ids = requests.get(
            base_url + "/favourites/ids",
            params={"listings": f"{listing['id']},999999999"},
            headers=buyer.headers,
            timeout=TIMEOUT,
        )
        assert ids.json() == {"favourited": [listing["id"]]}
        own = requests.put(url, headers=seller.headers, timeout=TIMEOUT)
        assert own.status_code == 403

        removed = requests.delete(url, headers=buyer.headers, timeout=TIMEOUT)
        assert removed.json() == {"listing": listing["id"], "favourited": False, "count": 0}
        page = requests.get(base_url + "/favourites", headers=buyer.headers, timeout=TIMEOUT)
        assert page.json()["total"] == 0


class SavedSearchesTest:
    def test_save_pause_list_and_delete_a_search(self, base_url):
        account, stranger = signup(base_url, prefix="itsaved"), signup(base_url, prefix="itstr")
        body = {"query": "live brass lamp", "max_price": "40", "frequency": "daily"}
        saved = requests.post(
            base_url + "/saved-searches", headers=account.headers, json=body, timeout=TIMEOUT
        )
        assert saved.status_code == 201, saved.text
        search = saved.json()
        assert search["filters"] == {"max_price": "40.00"}
        again = requests.post(
            base_url + "/saved-searches", headers=account.headers, json=body, timeout=TIMEOUT
        )
        assert (again.status_code, again.json()["id"]) == (200, search["id"])

        url = f"{base_url}/saved-searches/{search['id']}"
        assert (
            requests.patch(
                url, headers=stranger.headers, json={"paused": True}, timeout=TIMEOUT
            ).status_code
            == 403
        )
        paused = requests.patch(
            url, headers=account.headers, json={"paused": True}, timeout=TIMEOUT
        )
        assert paused.json()["paused"] is True
        listed = requests.get(
            base_url + "/saved-searches", headers=account.headers, timeout=TIMEOUT
        )
        assert [s["id"] for s in listed.json()["results"]] == [search["id"]]
        assert requests.delete(url, headers=account.headers, timeout=TIMEOUT).status_code == 204
        assert requests.delete(url, headers=account.headers, timeout=TIMEOUT).status_code == 404
