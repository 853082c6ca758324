"""The viewer part of the page answers on the live stack (issue 11): a listing page and
home answer who is looking and the hearts' state in the same call, and the viewer's own
actions (favourite, logout, password change) show on the very next page. Through
HAProxy; credential calls on sessions of their own address (``testsupport.session``)."""

from __future__ import annotations

import pytest
import requests

from testsupport import bearer, change_password, create_listing, login, session, signup

pytestmark = pytest.mark.integration
TIMEOUT = 15
NEW_PASSWORD = "Live-suite-viewer-88"


def page(base_url, path, token=None) -> requests.Response:
    headers = bearer(token) if token else {}
    return requests.get(base_url + path, headers=headers, timeout=TIMEOUT)


class PageViewerTest:
    def test_listing_page_answers_viewer_and_hearts_and_follows_the_viewers_actions(self, base_url):
        seller, buyer = signup(base_url, prefix="itpvs"), signup(base_url, prefix="itpvb")
        listing = create_listing(base_url, seller.token, title="Live viewer part lamp")
        path = f"/listings/{listing['id']}"

        anonymous = page(base_url, path)
        assert anonymous.status_code == 200
        assert not {"viewer", "favourited", "viewer_error"} & set(anonymous.json())

        before = page(base_url, path, buyer.token)
        assert before.json()["viewer"]["username"] == buyer.username
        assert before.json()["favourited"] == []
        assert "private" in before.headers["Cache-Control"]

        put = requests.put(
            f"{base_url}/favourites/{listing['id']}", headers=buyer.headers, timeout=TIMEOUT
        )
        assert put.status_code == 200
        assert page(base_url, path, buyer.token).json()["favourited"] == [listing["id"]]

        with session(base_url) as http:
            out = http.post(base_url + "/auth/logout", headers=buyer.headers, timeout=TIMEOUT)
        assert out.status_code == 204
        after = page(base_url, path, buyer.token).json()
        assert (after["viewer"], after["viewer_error"]) == (None, "not_authenticated")
        assert after["id"] == listing["id"]

    def test_home_after_a_password_change_refuses_the_other_sessions_at_once(self, base_url):
        account = signup(base_url, prefix="itpvpw")
        other = login(base_url, account.username, account.password)
        assert page(base_url, "/home", other).json()["viewer"]["id"] == account.id
        change_password(base_url, account, NEW_PASSWORD)
        refused = page(base_url, "/home", other).json()
        assert (refused["viewer"], refused["viewer_error"]) == (None, "not_authenticated")
        assert page(base_url, "/home", account.token).json()["viewer"]["id"] == account.id
