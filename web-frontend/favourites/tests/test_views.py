"""Hearts (save a listing) on cards and the listing page, the toggle, the favourites
page and the seller's "saved by N" (issue 13), with the experience API stubbed."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from conftest import TOKEN, make_card, make_listing, make_user

BOB = {"id": 9, "username": "bob", "display_name": "Bob B."}  # not the logged-in alice
HOSTILE = '<script>alert("x")</script> & "quotes"'


def card(listing_id: int, **overrides) -> dict:
    overrides.setdefault("seller", BOB)
    return make_card(id=listing_id, **overrides)


def favourited(api, ids):
    return api.get("favourites/ids", {"favourited": list(ids)})


def heart_forms(html: str) -> dict[int, str]:
    """The heart forms of a page by listing id."""
    forms = re.findall(r'<form class="favourite-control[^"]*"[^>]*>.*?</form>', html, re.S)
    return {int(re.search(r"/listings/(\d+)/favourite/", f).group(1)): f for f in forms}


def strict_client(api) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    api.me()
    return client


class HeartsOnPagesTest:
    def test_home_hearts_show_each_state_from_one_call(self, logged_in, api):
        api.home(newest=[card(1), card(2)], popular=[card(2), card(3)])
        favourited(api, [2])

        html = logged_in.get("/").content.decode()

        calls = api.calls_to("GET", "favourites/ids")
        assert len(calls) == 1
        assert "listings=1%2C2%2C3" in calls[0].request.url
        assert calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
        forms = heart_forms(html)
        assert set(forms) == {1, 2, 3}
        assert 'aria-pressed="true"' in forms[2] and 'name="action" value="remove"' in forms[2]
        assert 'aria-pressed="false"' in forms[1] and 'name="action" value="save"' in forms[1]
        assert ">Saved<" in forms[2] and ">Save<" in forms[1]
        assert 'method="post"' in forms[1] and 'name="csrfmiddlewaretoken"' in forms[1]
        assert 'name="next" value="/"' in forms[1]

    def test_listing_page_heart_and_recommendations_from_one_call(self, logged_in, api):
        listing = make_listing(id=5, seller=BOB, title="Oak table")
        listing["recommendations"] = [card(6)]
        api.get("listings/5", listing)
        favourited(api, [5])

        html = logged_in.get("/listings/5/").content.decode()

        assert len(api.calls_to("GET", "favourites/ids")) == 1
        forms = heart_forms(html)
        assert set(forms) == {5, 6}
        assert 'aria-pressed="true"' in forms[5] and "favourite-page" in forms[5]
        assert '<span class="favourite-label">Saved</span>' in forms[5]
        assert '<span class="visually-hidden">: Oak table</span>' in forms[5]
        assert 'name="next" value="/listings/5/"' in forms[5]

    def test_search_results_hearts_keep_the_query_in_next(self, logged_in, api):
        api.get("search", {"results": [card(1)], "total": 1, "page": 1, "pages": 1})
        favourited(api, [])

        html = logged_in.get("/search/?q=lamp&page=1").content.decode()

        form = heart_forms(html)[1]
        assert 'name="next" value="/search/?q=lamp&amp;page=1"' in form

    def test_profile_cards_have_hearts(self, logged_in, api):
        api.get(
            "users/9",
            {"user": BOB, "listings": [card(1)], "total": 1, "page": 1, "pages": 1},
        )
        favourited(api, [1])

        html = logged_in.get("/users/9/").content.decode()

        assert 'aria-pressed="true"' in heart_forms(html)[1]

    def test_own_listings_have_no_heart(self, logged_in, api):
        alice = {"id": 7, "username": "alice", "display_name": "Alice A."}
        api.get("listings/5", make_listing(id=5, seller=alice))
        favourited(api, [])

        html = logged_in.get("/listings/5/").content.decode()

        assert heart_forms(html) == {}

    def test_state_unknown_shows_no_heart_and_the_page_still_works(self, logged_in, api):
        api.home(newest=[card(1)], popular=[])
        api.down("GET", "favourites/ids")

        response = logged_in.get("/")

        assert response.status_code == 200
        html = response.content.decode()
        assert heart_forms(html) == {} and 'href="/listings/1/"' in html

    def test_page_without_cards_asks_nothing(self, logged_in, api):
        api.home(newest=[], popular=[])

        logged_in.get("/")

        assert api.calls_to("GET", "favourites/ids") == []

    def test_hostile_title_escaped_in_the_heart(self, logged_in, api):
        api.home(newest=[card(1, title=HOSTILE)], popular=[])
        favourited(api, [])

        html = logged_in.get("/").content.decode()

        assert "<script>alert" not in html
        assert (
            ": &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;<"
            in (heart_forms(html)[1])
        )


class AnonymousPagesStayCacheableTest:
    def test_anonymous_listing_page_has_no_form_and_no_csrf_token(self, client, api):
        listing = make_listing(id=5, seller=BOB)
        listing["recommendations"] = [card(6)]
        api.get("listings/5", listing)

        response = client.get("/listings/5/")

        html = response.content.decode()
        assert 'method="post"' not in html and "csrfmiddlewaretoken" not in html
        assert "csrftoken" not in response.cookies and not response.cookies
        assert "Cache-Control" not in response
        assert api.calls_to("GET", "me") == [] and api.calls_to("GET", "favourites/ids") == []
        # A plain link to log in and come back instead of the heart.
        assert 'class="favourite-control favourite-page favourite-login"' in html
        assert 'href="/login/?next=/listings/5/"' in html

    def test_anonymous_home_and_search_cards_link_to_login(self, client, api):
        api.home(newest=[card(1)], popular=[])
        api.get("search", {"results": [card(2)], "total": 1, "page": 1, "pages": 1})

        home = client.get("/")
        search = client.get("/search/?q=lamp")

        assert 'href="/login/?next=/"' in home.content.decode()
        assert 'href="/login/?next=/search/%3Fq%3Dlamp"' in search.content.decode()
        for response in (home, search):
            assert "csrfmiddlewaretoken" not in response.content.decode()
            assert not response.cookies
        assert api.calls_to("GET", "favourites/ids") == []

    def test_two_anonymous_visitors_get_the_same_page(self, api):
        api.get("listings/5", make_listing(id=5, seller=BOB, created_at="2024-01-01T00:00:00Z"))

        first = Client().get("/listings/5/").content
        second = Client().get("/listings/5/").content

        assert first == second


class ToggleTest:
    def test_save_puts_and_goes_back_to_next(self, logged_in, api):
        api.add("PUT", "favourites/5", body={"listing": 5, "favourited": True, "count": 3})

        response = logged_in.post(
            "/listings/5/favourite/", {"action": "save", "next": "/search/?q=lamp"}
        )

        assert response.status_code == 302 and response["Location"] == "/search/?q=lamp"
        call = api.calls_to("PUT", "favourites/5")[0]
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert api.calls_to("DELETE", "favourites/5") == []

    def test_remove_deletes(self, logged_in, api):
        api.add("DELETE", "favourites/5", body={"listing": 5, "favourited": False, "count": 2})

        response = logged_in.post("/listings/5/favourite/", {"action": "remove", "next": "/"})

        assert response["Location"] == "/"
        assert len(api.calls_to("DELETE", "favourites/5")) == 1
        assert api.calls_to("PUT", "favourites/5") == []

    def test_double_submit_of_save_stays_saved(self, logged_in, api):
        api.add("PUT", "favourites/5", body={"listing": 5, "favourited": True, "count": 1})

        for _ in range(2):
            logged_in.post("/listings/5/favourite/", {"action": "save"})

        assert len(api.calls_to("PUT", "favourites/5")) == 2
        assert api.calls_to("DELETE", "favourites/5") == []

    @pytest.mark.parametrize(("saved", "method"), [([5], "DELETE"), ([], "PUT")])
    def test_without_action_the_current_state_decides(self, logged_in, api, saved, method):
        favourited(api, saved)
        api.add(method, "favourites/5", body={"listing": 5, "favourited": not saved})

        response = logged_in.post("/listings/5/favourite/")

        assert response.status_code == 302 and response["Location"] == "/listings/5/"
        assert len(api.calls_to(method, "favourites/5")) == 1
        assert "listings=5" in api.calls_to("GET", "favourites/ids")[0].request.url

    @pytest.mark.parametrize(
        "next_url",
        [
            "https://evil.example/",
            "//evil.example",
            "//evil.example/path",
            "/\\evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "",
        ],
    )
    def test_open_redirect_refused(self, logged_in, api, next_url):
        api.add("PUT", "favourites/5", body={"listing": 5, "favourited": True, "count": 1})

        response = logged_in.post("/listings/5/favourite/", {"action": "save", "next": next_url})

        assert response.status_code == 302
        assert response["Location"] == "/listings/5/"

    def test_anonymous_goes_to_login_then_back_to_the_page(self, client, api):
        response = client.post("/listings/5/favourite/", {"action": "save", "next": "/search/"})

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Fsearch%2F"
        assert api.calls_to("PUT", "favourites/5") == []

    def test_anonymous_with_foreign_next_goes_back_to_the_listing(self, client, api):
        response = client.post("/listings/5/favourite/", {"next": "https://evil.example/"})

        assert response["Location"] == "/login/?next=%2Flistings%2F5%2F"

    def test_refused_authenticator_goes_to_login_and_drops_the_cookie(self, logged_in, api):
        api.add("PUT", "favourites/5", status=401, body={"error": "not_authenticated"})

        response = logged_in.post("/listings/5/favourite/", {"action": "save", "next": "/"})

        assert response["Location"] == "/login/?next=%2F"
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0

    def test_unknown_listing_gives_404_page(self, logged_in, api):
        api.add("PUT", "favourites/999", status=404, body={"error": "not_found"})

        response = logged_in.post("/listings/999/favourite/", {"action": "save"})

        assert response.status_code == 404

    def test_get_not_allowed(self, logged_in, api):
        assert logged_in.get("/listings/5/favourite/").status_code == 405

    def test_post_without_csrf_token_refused(self, api):
        response = strict_client(api).post("/listings/5/favourite/", {"action": "save"})

        assert response.status_code == 403
        assert api.calls_to("PUT", "favourites/5") == []

    def test_message_shown_on_the_page_it_goes_back_to(self, logged_in, api):
        api.add("PUT", "favourites/5", body={"listing": 5, "favourited": True, "count": 1})
        api.home(newest=[], popular=[])

        response = logged_in.post("/listings/5/favourite/", {"action": "save", "next": "/"})
        page = logged_in.get(response["Location"]).content.decode()

        assert "Saved to your favourites." in page


def favourites_body(cards, *, total=None, page=1, pages=1) -> dict:
    total = len(cards) if total is None else total
    return {"results": cards, "total": total, "page": page, "pages": pages}


class FavouritesPageTest:
    def test_anonymous_redirected_to_login_with_next(self, client, api):
        response = client.get("/favourites/")

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Ffavourites%2F"

    def test_lists_the_favourites_as_cards_all_saved(self, logged_in, api):
        api.get("favourites", favourites_body([card(1, title="Lamp"), card(2, title="Desk")]))

        response = logged_in.get("/favourites/")

        assert response.status_code == 200
        html = response.content.decode()
        assert "Lamp" in html and "Desk" in html and 'href="/listings/1/"' in html
        forms = heart_forms(html)
        assert set(forms) == {1, 2}
        assert all('aria-pressed="true"' in f for f in forms.values())
        assert 'name="next" value="/favourites/"' in forms[1]
        assert api.calls_to("GET", "favourites/ids") == []  # every card here is saved

    def test_paginated(self, logged_in, api):
        api.get("favourites", favourites_body([card(1)], total=30, page=2, pages=2))

        html = logged_in.get("/favourites/?page=2").content.decode()

        assert "page=2" in api.calls_to("GET", "favourites")[0].request.url
        assert 'href="?page=1"' in html

    @pytest.mark.parametrize("page", ["abc", "0", "-1", "²", "99999999"])
    def test_bad_page_is_page_1(self, logged_in, api, page):
        api.get("favourites", favourites_body([]))

        assert logged_in.get("/favourites/", {"page": page}).status_code == 200
        assert "page=1" in api.calls_to("GET", "favourites")[0].request.url

    def test_empty_says_how_to_save(self, logged_in, api):
        api.get("favourites", favourites_body([]))

        html = logged_in.get("/favourites/").content.decode()

        assert "Nothing saved yet" in html

    def test_past_the_end(self, logged_in, api):
        api.get("favourites", favourites_body([], total=30, page=9, pages=2))

        html = logged_in.get("/favourites/?page=9").content.decode()

        assert "No more favourites on page 9" in html


class DashboardSavedByTest:
    def test_each_listing_shows_how_many_saved_it(self, logged_in, api):
        alice = make_user()
        items = [
            {**make_listing(id=1, seller=alice, favourite_count=3), "open_orders": 0},
            {**make_listing(id=2, seller=alice), "open_orders": 0},
        ]
        body = {"listings": items, "total": 2, "page": 1, "pages": 1, "counts": {"active": 2}}
        api.get("dashboard", body)

        html = logged_in.get("/dashboard/").content.decode()

        counts = re.findall(r'data-testid="favourite-count">([^<]*)<', html)
        assert counts == ["saved by 3", "saved by 0"]
