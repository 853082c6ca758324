"""Home, listing detail and create listing, through Django's test client."""

from __future__ import annotations

import re

from django.conf import settings

from conftest import CATEGORIES, TOKEN, make_card, make_listing


class HomeTest:
    def test_anonymous_shows_newest_and_popular_cards(self, client, api):
        newest = [make_card(id=1, title="Oak table", price="1234.5")]
        popular = [make_card(id=2, title="Vintage lamp", price="15")]
        api.home(newest=newest, popular=popular)

        response = client.get("/")

        assert response.status_code == 200
        html = response.content.decode()
        assert "Newest listings" in html and "Most popular" in html
        assert 'href="/listings/1/"' in html and 'href="/listings/2/"' in html
        assert "Oak table" in html and "$1,234.50" in html and "$15.00" in html
        # Anonymous header: no call to /me, login and signup links, the search box.
        assert api.calls_to("GET", "me") == []
        assert 'href="/login/"' in html and 'href="/signup/"' in html
        assert re.search(r'<input[^>]*name="q"', html)
        assert "<title>" in html and "<h1" in html

    def test_logged_in_header_shows_username_and_logout_form(self, logged_in, api):
        api.home()

        html = logged_in.get("/").content.decode()

        assert 'data-testid="current-username">alice<' in html
        assert re.search(r'<form action="/logout/" method="post"', html)
        assert 'name="csrfmiddlewaretoken"' in html
        assert len(api.calls_to("GET", "me")) == 1  # resolved once per request
        call = api.calls_to("GET", "home")[0]
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_empty_lists_show_friendly_message(self, client, api):
        api.home(newest=[], popular=[])

        html = client.get("/").content.decode()

        assert "Be the first to sell something" in html

    def test_placeholder_art_has_alt_text(self, client, api):
        api.home(newest=[make_card(id=3, title="Bike")], popular=[])

        html = client.get("/").content.decode()

        assert 'src="/static/img/placeholder.svg"' in html
        assert 'alt="No photo yet for Bike"' in html

    def test_api_down_gives_503_page(self, client, api):
        api.down("GET", "home")

        response = client.get("/")

        assert response.status_code == 503
        assert "having a little trouble" in response.content.decode()

    def test_expired_cookie_renders_anonymous_and_deletes_cookie(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.me_expired()
        api.home()

        response = client.get("/")

        assert response.status_code == 200
        assert 'href="/login/"' in response.content.decode()
        cookie = response.cookies[settings.AUTH_COOKIE_NAME]
        assert cookie.value == "" and cookie["max-age"] == 0


class ListingDetailTest:
    def test_shows_all_fields_and_links(self, client, api):
        listing = make_listing(
            id=42,
            title="Teak sideboard",
            price="1234.5",
            description="Solid teak.\nSome scratches <b>on</b> top.",
            view_count=1234,
            seller={"id": 9, "username": "bob", "display_name": "Bob B."},
            category={"slug": "furniture", "name": "Furniture"},
            condition="like_new",
        )
        listing["recommendations"] = [make_card(id=43, title="Teak chair")]
        api.get("listings/42", listing)

        response = client.get("/listings/42/")

        assert response.status_code == 200
        html = response.content.decode()
        assert "<h1" in html and "Teak sideboard" in html
        assert "$1,234.50" in html
        assert "Solid teak.<br>Some scratches &lt;b&gt;on&lt;/b&gt; top." in html
        assert 'href="/users/9/"' in html and "Bob B." in html
        assert "Furniture" in html and "Like new" in html
        assert "1,234" in html
        assert "People who viewed this also viewed" in html
        assert 'href="/listings/43/"' in html
        assert "<title>Teak sideboard" in html

    def test_without_recommendations_hides_section(self, client, api):
        api.get("listings/5", make_listing(id=5))

        html = client.get("/listings/5/").content.decode()

        assert "also viewed" not in html

    def test_unknown_id_gives_404_page(self, client, api):
        api.get("listings/999", {"error": "not_found", "detail": "No such listing."}, status=404)

        response = client.get("/listings/999/")

        assert response.status_code == 404
        assert "find that page" in response.content.decode()

    def test_logged_in_forwards_bearer_so_views_are_attributed(self, logged_in, api):
        api.get("listings/5", make_listing(id=5))

        response = logged_in.get("/listings/5/")

        assert response.status_code == 200
        call = api.calls_to("GET", "listings/5")[0]
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_expired_cookie_retries_anonymously_and_deletes_cookie(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.mock.add(
            "GET",
            f"{settings.EXPERIENCE_API_URL}/api/v1/listings/5",
            status=401,
            json={"error": "not_authenticated"},
            match=[
                __import__("responses").matchers.header_matcher(
                    {"Authorization": f"Bearer {TOKEN}"}
                )
            ],
        )
        api.get("listings/5", make_listing(id=5, title="Anon view"))

        response = client.get("/listings/5/")

        assert response.status_code == 200
        assert "Anon view" in response.content.decode()
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0
        assert api.calls_to("GET", "me") == []  # header did not ask again

    def test_api_timeout_gives_503_page(self, client, api):
        import requests

        api.down("GET", "listings/5", requests.ReadTimeout("slow"))

        response = client.get("/listings/5/")

        assert response.status_code == 503


VALID_LISTING = {
    "title": "Road bike",
    "description": "Light aluminium frame.\nNew tyres.",
    "price": "250.00",
    "category": "electronics",
    "condition": "good",
}


class CreateListingTest:
    def test_anonymous_get_redirects_to_login(self, client, api):
        response = client.get("/listings/new/")

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Flistings%2Fnew%2F"
        assert len(api.mock.calls) == 0

    def test_anonymous_post_redirects_and_creates_nothing(self, client, api):
        response = client.post("/listings/new/", VALID_LISTING)

        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
        assert api.calls_to("POST", "listings") == []

    def test_logged_in_get_shows_labelled_form_with_category_slugs(self, logged_in, api):
        api.categories()

        response = logged_in.get("/listings/new/")

        assert response.status_code == 200
        html = response.content.decode()
        for field in ("title", "description", "price", "category", "condition"):
            assert f'for="id_{field}"' in html and f'name="{field}"' in html
        for category in CATEGORIES:
            assert f'<option value="{category["slug"]}"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert "<title>Sell an item" in html

    def test_valid_post_creates_and_redirects_to_detail(self, logged_in, api):
        api.categories()
        api.post("listings", make_listing(id=77, title="Road bike"), status=201)

        response = logged_in.post("/listings/new/", VALID_LISTING)

        assert response.status_code == 302
        assert response["Location"] == "/listings/77/"
        sent = api.json_sent("POST", "listings")
        assert sent == [
            {
                "title": "Road bike",
                "description": "Light aluminium frame.\nNew tyres.",
                "price": "250.00",
                "category": "electronics",
                "condition": "good",
            }
        ]
        call = api.calls_to("POST", "listings")[0]
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_condition_left_empty_is_not_sent(self, logged_in, api):
        api.categories()
        api.post("listings", make_listing(id=78), status=201)

        logged_in.post("/listings/new/", {**VALID_LISTING, "condition": ""})

        assert "condition" not in api.json_sent("POST", "listings")[0]

    def test_invalid_input_shows_errors_keeps_values_creates_nothing(self, logged_in, api):
        api.categories()
        bad = {
            "title": "",
            "description": "Kept description",
            "price": "-3",
            "category": "not-a-category",
        }

        response = logged_in.post("/listings/new/", bad)

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_title_error"' in html
        assert 'id="id_price_error"' in html and "greater than or equal to 0" in html
        assert 'id="id_category_error"' in html
        assert "Kept description" in html and 'value="-3"' in html
        assert api.calls_to("POST", "listings") == []

    def test_price_too_large_or_too_precise_rejected(self, logged_in, api):
        api.categories()

        for price in ("1000000.01", "1.234", "abc"):
            response = logged_in.post("/listings/new/", {**VALID_LISTING, "price": price})
            assert response.status_code == 200
            assert 'id="id_price_error"' in response.content.decode()
        assert api.calls_to("POST", "listings") == []

    def test_title_too_long_rejected(self, logged_in, api):
        api.categories()

        response = logged_in.post("/listings/new/", {**VALID_LISTING, "title": "x" * 121})

        assert 'id="id_title_error"' in response.content.decode()
        assert api.calls_to("POST", "listings") == []

    def test_api_field_errors_shown_next_to_fields(self, logged_in, api):
        api.categories()
        api.post(
            "listings",
            {
                "error": "validation_failed",
                "detail": "Invalid input.",
                "fields": {"title": ["Looks like spam."], "other": ["Something else."]},
            },
            status=400,
        )

        response = logged_in.post("/listings/new/", VALID_LISTING)

        assert response.status_code == 200
        html = response.content.decode()
        assert "Looks like spam." in html and 'id="id_title_error"' in html
        assert "Something else." in html  # unknown field: shown above the form
        assert 'value="Road bike"' in html

    def test_revoked_cookie_on_post_redirects_to_login_and_deletes_cookie(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.me_expired()

        response = client.post("/listings/new/", VALID_LISTING)

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Flistings%2Fnew%2F"
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0
        assert api.calls_to("POST", "listings") == []

    def test_api_refuses_authenticator_at_create_redirects_to_login(self, logged_in, api):
        api.categories()
        api.post("listings", {"error": "not_authenticated"}, status=401)

        response = logged_in.post("/listings/new/", VALID_LISTING)

        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0

    def test_post_without_csrf_token_refused(self, api):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.me()
        api.categories()

        response = client.post("/listings/new/", VALID_LISTING)

        assert response.status_code == 403
        assert "This form has expired" in response.content.decode()
        assert api.calls_to("POST", "listings") == []
