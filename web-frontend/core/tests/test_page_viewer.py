"""A logged-in page in one call: home and listing answers carry the viewer and the
hearts' state (docs/internal-contracts.md, "viewer part"), so the page asks neither
``GET /me`` nor ``GET /favourites/ids``. The experience API is stubbed over HTTP."""

from __future__ import annotations

import re

from django.conf import settings

from conftest import TOKEN, make_card, make_listing, make_user

BOB = {"id": 9, "username": "bob", "display_name": "Bob B."}
ALICE_ME = {**make_user(), "email": "alice@example.com", "bio": "", "unread_messages": 4}


def card(listing_id: int, **overrides) -> dict:
    overrides.setdefault("seller", BOB)
    return make_card(id=listing_id, **overrides)


def with_cookie(client):
    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    return client


def heart_states(html: str) -> dict[int, str]:
    forms = re.findall(r'<form class="favourite-control[^"]*"[^>]*>.*?</form>', html, re.S)
    return {
        int(re.search(r"/listings/(\d+)/favourite/", f).group(1)): re.search(
            r'aria-pressed="(\w+)"', f
        ).group(1)
        for f in forms
    }


def home_answer(**part) -> dict:
    return {"newest": [card(1), card(2)], "popular": [card(2), card(3)], **part}


class OneCallHomeTest:
    def test_header_and_hearts_come_from_the_home_answer_alone(self, client, api):
        api.get("home", home_answer(viewer=ALICE_ME, favourited=[2]))

        response = with_cookie(client).get("/")

        html = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="current-username">alice<' in html
        assert 'aria-label="4 unread"' in html
        assert heart_states(html) == {1: "false", 2: "true", 3: "false"}
        assert api.calls_to("GET", "me") == []
        assert api.calls_to("GET", "favourites/ids") == []
        sent = api.calls_to("GET", "home")[0].request.headers
        assert sent["Authorization"] == f"Bearer {TOKEN}"
        assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
        assert 'name="csrfmiddlewaretoken"' in html

    def test_refused_authenticator_renders_anonymous_and_deletes_the_cookie(self, client, api):
        api.get("home", home_answer(viewer=None, viewer_error="not_authenticated", favourited=None))

        response = with_cookie(client).get("/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "current-username" not in html and 'href="/login/"' in html
        assert heart_states(html) == {}
        assert response.cookies[settings.AUTH_COOKIE_NAME].value == ""
        assert api.calls_to("GET", "me") == []

    def test_unverifiable_authenticator_asks_me_and_keeps_the_cookie(self, client, api):
        api.get(
            "home",
            home_answer(viewer=None, viewer_error="models_api_unavailable", favourited=None),
        )
        api.get("me", {"error": "models_api_unavailable"}, status=503)

        response = with_cookie(client).get("/")

        assert response.status_code == 200
        assert "current-username" not in response.content.decode()
        assert settings.AUTH_COOKIE_NAME not in response.cookies
        assert len(api.calls_to("GET", "me")) == 1

    def test_hearts_unknown_show_no_heart_without_asking_again(self, client, api):
        api.get("home", home_answer(viewer=ALICE_ME, favourited=None))

        html = with_cookie(client).get("/").content.decode()

        assert heart_states(html) == {}
        assert 'data-testid="current-username">alice<' in html
        assert api.calls_to("GET", "favourites/ids") == []

    def test_an_answer_without_a_viewer_part_falls_back_to_me_and_favourite_ids(self, client, api):
        api.get("home", home_answer())  # an experience API of the previous release
        api.me()
        api.get("favourites/ids", {"favourited": [3]})

        html = with_cookie(client).get("/").content.decode()

        assert 'data-testid="current-username">alice<' in html
        assert heart_states(html) == {1: "false", 2: "false", 3: "true"}
        assert len(api.calls_to("GET", "me")) == 1

    def test_a_viewer_part_without_a_cookie_is_ignored(self, client, api):
        # Cannot happen (no Bearer, no part), but a stray one must never log anyone in.
        api.get("home", home_answer(viewer=ALICE_ME, favourited=[2]))

        html = client.get("/").content.decode()

        assert "current-username" not in html and heart_states(html) == {}


class OneCallListingTest:
    def test_header_and_hearts_come_from_the_listing_answer_alone(self, client, api):
        listing = make_listing(id=5, seller=BOB, title="Oak table")
        listing.update(recommendations=[card(6)], viewer=ALICE_ME, favourited=[5])
        api.get("listings/5", listing)

        html = with_cookie(client).get("/listings/5/").content.decode()

        assert 'data-testid="current-username">alice<' in html
        assert heart_states(html) == {5: "true", 6: "false"}
        assert api.calls_to("GET", "me") == []
        assert api.calls_to("GET", "favourites/ids") == []

    def test_the_seller_sees_no_heart_on_their_own_listing(self, client, api):
        alice = {"id": 7, "username": "alice", "display_name": "Alice A."}
        listing = make_listing(id=5, seller=alice)
        listing.update(viewer=ALICE_ME, favourited=[])
        api.get("listings/5", listing)

        html = with_cookie(client).get("/listings/5/").content.decode()

        assert heart_states(html) == {}
        assert 'data-testid="current-username">alice<' in html

    def test_the_edit_page_still_checks_the_seller_with_me(self, client, api):
        # Pages that need a user before their own call keep asking /me first.
        listing = make_listing(id=5, seller=BOB)
        listing.update(viewer=ALICE_ME, favourited=[])
        api.get("listings/5", listing)
        api.me()
        api.get("categories", {"categories": []})

        response = with_cookie(client).get("/listings/5/edit/")

        assert response.status_code == 403
        assert len(api.calls_to("GET", "me")) == 1


class OneCallSearchTest:
    def test_a_search_answer_with_a_viewer_part_is_one_call_too(self, client, api):
        # For when the experience API's search answers the viewer part as well.
        api.get(
            "search",
            {
                "results": [card(1), card(2)],
                "total": 2,
                "page": 1,
                "pages": 1,
                "viewer": ALICE_ME,
                "favourited": [2],
            },
        )

        html = with_cookie(client).get("/search/?q=lamp").content.decode()

        assert 'data-testid="current-username">alice<' in html
        assert heart_states(html) == {1: "false", 2: "true"}
        assert api.calls_to("GET", "me") == []
        assert api.calls_to("GET", "favourites/ids") == []

    def test_a_search_answer_without_one_asks_me_and_favourite_ids(self, client, api):
        api.get("search", {"results": [card(1)], "total": 1, "page": 1, "pages": 1})
        api.me()
        api.get("favourites/ids", {"favourited": [1]})

        html = with_cookie(client).get("/search/?q=lamp").content.decode()

        assert heart_states(html) == {1: "true"}
        assert len(api.calls_to("GET", "me")) == 1
