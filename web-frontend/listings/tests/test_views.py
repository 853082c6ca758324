"""Home, listing detail and create listing, through Django's test client."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from conftest import CATEGORIES, TOKEN, api_url, make_card, make_listing


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


# ---------------------------------------------------------------- selling (issue 12)
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # the web tier never decodes: bytes only
HOSTILE_TITLE = '<script>alert("x")</script> & "quotes"'
SELLER = {"id": 7, "username": "alice", "display_name": "Alice A."}  # the logged_in user
OTHER_SELLER = {"id": 9, "username": "bob", "display_name": "Bob B."}


def make_photo(photo_id: int, position: int = 0, **overrides) -> dict:
    key = f"{photo_id:064x}"
    photo = {
        "id": photo_id,
        "position": position,
        "width": 1600,
        "height": 1200,
        "url": f"/media/{key}.jpg",
        "card_url": f"/media/{key}c.webp",
        "detail_url": f"/media/{key}d.webp",
    }
    photo.update(overrides)
    return photo


def jpeg(name: str = "bike.jpg", size: int | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = JPEG_BYTES if size is None else b"\xff" * size
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def multipart_parts(call) -> list[tuple[str, str | None, bytes]]:
    """(field name, file name or None, bytes) of each part of a multipart request body."""
    from email import policy
    from email.parser import BytesParser

    content_type = call.request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data")
    body = call.request.body
    body = body if isinstance(body, bytes) else body.encode()
    message = BytesParser(policy=policy.default).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    ]


def fields_of(parts) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, filename, payload in parts:
        if filename is None:
            out.setdefault(name, []).append(payload.decode())
    return out


def files_of(parts) -> list[tuple[str, bytes]]:
    return [
        (filename, payload) for name, filename, payload in parts if name == "photos" and filename
    ]


def api_error(code: str, detail: str = "", fields=None) -> dict:
    body = {"error": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def csrf_client(api):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    api.me()
    return client


class CreateListingPhotosTest:
    def test_form_is_multipart_with_accepting_photos_input(self, logged_in, api):
        api.categories()

        html = logged_in.get("/listings/new/").content.decode()

        assert 'enctype="multipart/form-data"' in html
        assert re.search(
            r'<input type="file" name="photos" multiple accept="image/jpeg,image/png,image/webp"',
            html,
        )

    def test_photos_sent_in_one_multipart_create(self, logged_in, api):
        api.categories()
        api.post("listings", make_listing(id=80), status=201)

        response = logged_in.post(
            "/listings/new/", {**VALID_LISTING, "photos": [jpeg("a.jpg"), jpeg("b.png")]}
        )

        assert response.status_code == 302 and response["Location"] == "/listings/80/"
        calls = api.calls_to("POST", "listings")
        assert len(calls) == 1
        parts = multipart_parts(calls[0])
        assert files_of(parts) == [("a.jpg", JPEG_BYTES), ("b.png", JPEG_BYTES)]
        assert fields_of(parts) == {
            "title": ["Road bike"],
            "description": ["Light aluminium frame.\nNew tyres."],
            "price": ["250.00"],
            "category": ["electronics"],
            "condition": ["good"],
        }
        assert calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_nine_photos_rejected_with_the_rule_message(self, logged_in, api):
        api.categories()

        photos = [jpeg(f"p{i}.jpg") for i in range(9)]
        response = logged_in.post("/listings/new/", {**VALID_LISTING, "photos": photos})

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_photos_error"' in html and "At most 8 photos per listing." in html
        assert 'value="Road bike"' in html
        assert api.calls_to("POST", "listings") == []

    def test_eight_photos_accepted(self, logged_in, api):
        api.categories()
        api.post("listings", make_listing(id=81), status=201)

        photos = [jpeg(f"p{i}.jpg") for i in range(8)]
        response = logged_in.post("/listings/new/", {**VALID_LISTING, "photos": photos})

        assert response.status_code == 302
        assert len(files_of(multipart_parts(api.calls_to("POST", "listings")[0]))) == 8

    def test_eleven_megabyte_photo_rejected(self, logged_in, api):
        api.categories()

        big = jpeg("huge.jpg", size=11 * 1024 * 1024)
        response = logged_in.post("/listings/new/", {**VALID_LISTING, "photos": [big]})

        assert response.status_code == 200
        assert "Each photo may be at most 10 MB." in response.content.decode()
        assert api.calls_to("POST", "listings") == []

    def test_api_photo_error_shown_on_the_photos_field(self, logged_in, api):
        api.categories()
        api.post(
            "listings",
            api_error(
                "validation_failed",
                "Invalid input.",
                {"photos": ["Not a JPEG, PNG or WebP image."]},
            ),
            status=400,
        )

        response = logged_in.post("/listings/new/", {**VALID_LISTING, "photos": [jpeg("fake.jpg")]})

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_photos_error"' in html and "Not a JPEG, PNG or WebP image." in html


def seller_listing(listing_id: int = 50, **overrides) -> dict:
    overrides.setdefault("seller", SELLER)
    overrides.setdefault("photos", [make_photo(501, 0), make_photo(502, 1), make_photo(503, 2)])
    return make_listing(id=listing_id, **overrides)


EDIT_POST = {**VALID_LISTING, "position_501": "1", "position_502": "2", "position_503": "3"}


class EditListingTest:
    def test_anonymous_redirects_to_login(self, client, api):
        response = client.get("/listings/50/edit/")

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Flistings%2F50%2Fedit%2F"
        assert len(api.mock.calls) == 0

    def test_other_user_gets_403_page(self, logged_in, api):
        api.get("listings/50", seller_listing(seller=OTHER_SELLER))

        for response in (
            logged_in.get("/listings/50/edit/"),
            logged_in.post("/listings/50/edit/", EDIT_POST),
        ):
            assert response.status_code == 403
            assert "You can't do that" in response.content.decode()
        assert api.calls_to("PATCH", "listings/50") == []

    def test_unknown_listing_gives_404_page(self, logged_in, api):
        api.get("listings/999", api_error("not_found", "No such listing."), status=404)

        assert logged_in.get("/listings/999/edit/").status_code == 404

    def test_seller_sees_prefilled_fields_and_photos(self, logged_in, api):
        api.categories()
        api.get(
            "listings/50",
            seller_listing(
                title="Oak desk",
                price="120.00",
                condition="fair",
                category={"slug": "books", "name": "Books"},
            ),
        )

        response = logged_in.get("/listings/50/edit/")

        assert response.status_code == 200
        html = response.content.decode()
        assert 'value="Oak desk"' in html and 'value="120.00"' in html
        assert re.search(r'<option value="books" selected>', html)
        assert re.search(r'<option value="fair" selected>', html)
        assert 'enctype="multipart/form-data"' in html
        assert html.count('data-testid="edit-photo"') == 3
        for index, pk in enumerate((501, 502, 503), start=1):
            assert re.search(rf'<input[^>]*name="position_{pk}"[^>]*value="{index}"', html)
            assert re.search(rf'<input[^>]*type="checkbox"[^>]*name="remove_{pk}"', html)
        assert f'src="{make_photo(501)["card_url"]}"' in html
        assert re.search(
            r'<input[^>]*type="file"[^>]*name="photos"[^>]*accept="image/jpeg,image/png,image/webp"',
            html,
        )
        assert 'name="csrfmiddlewaretoken"' in html

    def test_save_without_files_sends_json_patch_with_photo_order(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add("PATCH", "listings/50", body=seller_listing())

        post = {**EDIT_POST, "position_501": "3", "position_503": "1", "remove_502": "on"}
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 302 and response["Location"] == "/listings/50/"
        assert api.json_sent("PATCH", "listings/50") == [
            {
                "title": "Road bike",
                "description": "Light aluminium frame.\nNew tyres.",
                "price": "250.00",
                "category": "electronics",
                "condition": "good",
                "photo_order": [503, 501],
            }
        ]

    def test_removing_every_photo_sends_empty_photo_order(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add("PATCH", "listings/50", body=seller_listing(photos=[]))

        post = {**EDIT_POST, "remove_501": "on", "remove_502": "on", "remove_503": "on"}
        logged_in.post("/listings/50/edit/", post)

        assert api.json_sent("PATCH", "listings/50")[0]["photo_order"] == []

    def test_new_files_and_order_go_in_one_multipart_patch(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add("PATCH", "listings/50", body=seller_listing())

        post = {
            **EDIT_POST,
            "position_502": "1",
            "position_501": "2",
            "photos": [jpeg("new1.jpg"), jpeg("new2.webp")],
        }
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 302
        calls = api.calls_to("PATCH", "listings/50")
        assert len(calls) == 1
        parts = multipart_parts(calls[0])
        fields = fields_of(parts)
        assert fields["photo_order"] == ["502", "501", "503"]
        assert fields["title"] == ["Road bike"] and fields["price"] == ["250.00"]
        assert files_of(parts) == [("new1.jpg", JPEG_BYTES), ("new2.webp", JPEG_BYTES)]
        assert api.calls_to("POST", "listings/50/photos") == []

    def test_replacing_every_photo_removes_then_uploads(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add("PATCH", "listings/50", body=seller_listing(photos=[]))
        api.post("listings/50/photos", seller_listing(photos=[make_photo(600)]), status=201)

        post = {
            **EDIT_POST,
            "remove_501": "on",
            "remove_502": "on",
            "remove_503": "on",
            "photos": [jpeg("only.jpg")],
        }
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 302
        assert api.json_sent("PATCH", "listings/50")[0]["photo_order"] == []
        upload = api.calls_to("POST", "listings/50/photos")
        assert files_of(multipart_parts(upload[0])) == [("only.jpg", JPEG_BYTES)]

    def test_double_submit_with_files_uploads_them_once(self, logged_in, api):
        api.categories()
        after_first = seller_listing(
            photos=[make_photo(501, 0), make_photo(502, 1), make_photo(503, 2), make_photo(504, 3)]
        )
        api.get("listings/50", seller_listing())
        api.get("listings/50", after_first)
        api.add("PATCH", "listings/50", body=after_first)

        post = {**EDIT_POST, "photos": [jpeg("new.jpg")]}
        first = logged_in.post("/listings/50/edit/", post)
        post["photos"] = [jpeg("new.jpg")]
        second = logged_in.post("/listings/50/edit/", post)

        assert first.status_code == 302
        assert second.status_code == 200
        assert "changed since this page was opened" in second.content.decode()
        assert len(api.calls_to("PATCH", "listings/50")) == 1

    def test_double_submit_without_files_is_the_same_patch_twice(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add("PATCH", "listings/50", body=seller_listing())

        first = logged_in.post("/listings/50/edit/", EDIT_POST)
        second = logged_in.post("/listings/50/edit/", EDIT_POST)

        assert first.status_code == second.status_code == 302
        sent = api.json_sent("PATCH", "listings/50")
        assert len(sent) == 2 and sent[0] == sent[1]

    def test_kept_plus_new_over_eight_rejected(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())

        post = {**EDIT_POST, "photos": [jpeg(f"n{i}.jpg") for i in range(6)]}
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 200
        assert "At most 8 photos per listing." in response.content.decode()
        assert api.calls_to("PATCH", "listings/50") == []

    def test_removed_photos_make_room_for_new_ones(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add("PATCH", "listings/50", body=seller_listing())

        post = {**EDIT_POST, "remove_501": "on", "photos": [jpeg(f"n{i}.jpg") for i in range(6)]}
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 302

    def test_eleven_megabyte_file_rejected(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())

        post = {**EDIT_POST, "photos": [jpeg("big.jpg", size=11 * 1024 * 1024)]}
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 200
        assert "Each photo may be at most 10 MB." in response.content.decode()
        assert api.calls_to("PATCH", "listings/50") == []

    def test_invalid_fields_and_position_shown_nothing_sent(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())

        post = {**EDIT_POST, "title": "", "price": "-1", "position_502": "abc"}
        response = logged_in.post("/listings/50/edit/", post)

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_title_error"' in html and 'id="id_price_error"' in html
        assert "Enter a whole number." in html
        assert api.calls_to("PATCH", "listings/50") == []

    def test_api_400_goes_onto_the_fields(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing())
        api.add(
            "PATCH",
            "listings/50",
            status=400,
            body=api_error(
                "validation_failed",
                "Invalid input.",
                {"photos": ["The image has too many pixels."], "photo_order": ["Unknown photo 9."]},
            ),
        )

        response = logged_in.post("/listings/50/edit/", {**EDIT_POST, "photos": [jpeg()]})

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_photos_error"' in html and "The image has too many pixels." in html
        assert "Unknown photo 9." in html  # no such form field: above the form

    def test_reserved_conflict_shows_the_message(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing(status="reserved"))
        api.add(
            "PATCH",
            "listings/50",
            status=409,
            body=api_error("listing_reserved", "This listing is reserved by an accepted order."),
        )

        response = logged_in.post("/listings/50/edit/", EDIT_POST)

        assert response.status_code == 200
        assert "This listing is reserved by an accepted order." in response.content.decode()

    def test_hostile_title_is_escaped(self, logged_in, api):
        api.categories()
        api.get("listings/50", seller_listing(title=HOSTILE_TITLE))

        html = logged_in.get("/listings/50/edit/").content.decode()

        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in html

    def test_post_without_csrf_token_refused(self, api):
        client = csrf_client(api)
        api.categories()
        api.get("listings/50", seller_listing())

        response = client.post("/listings/50/edit/", EDIT_POST)

        assert response.status_code == 403
        assert api.calls_to("PATCH", "listings/50") == []


class ListingStatusTest:
    def test_anonymous_redirects_to_login(self, client, api):
        response = client.post("/listings/50/status/", {"status": "sold"})

        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
        assert api.calls_to("PATCH", "listings/50") == []

    def test_get_not_allowed(self, logged_in, api):
        assert logged_in.get("/listings/50/status/").status_code == 405

    def test_seller_marks_sold_and_returns_to_dashboard(self, logged_in, api):
        api.add("PATCH", "listings/50", body=seller_listing(status="sold"))

        response = logged_in.post("/listings/50/status/", {"status": "sold"})

        assert response.status_code == 302 and response["Location"] == "/dashboard/"
        assert api.json_sent("PATCH", "listings/50") == [{"status": "sold"}]

    def test_next_local_path_followed_and_foreign_ignored(self, logged_in, api):
        api.add("PATCH", "listings/50", body=seller_listing(status="withdrawn"))

        local = logged_in.post(
            "/listings/50/status/",
            {"status": "withdrawn", "next": "/dashboard/?status=active&page=2"},
        )
        foreign = logged_in.post(
            "/listings/50/status/", {"status": "withdrawn", "next": "//evil.example/"}
        )

        assert local["Location"] == "/dashboard/?status=active&page=2"
        assert foreign["Location"] == "/dashboard/"

    def test_double_submit_is_harmless(self, logged_in, api):
        api.add("PATCH", "listings/50", body=seller_listing(status="active"))

        first = logged_in.post("/listings/50/status/", {"status": "active"})
        second = logged_in.post("/listings/50/status/", {"status": "active"})

        assert first.status_code == second.status_code == 302
        assert api.json_sent("PATCH", "listings/50") == [{"status": "active"}] * 2

    def test_reserved_and_unknown_statuses_rejected_with_400(self, logged_in, api):
        for status in ("reserved", "deleted", ""):
            response = logged_in.post("/listings/50/status/", {"status": status})
            assert response.status_code == 400
        assert api.calls_to("PATCH", "listings/50") == []

    def test_other_user_gets_403_page(self, logged_in, api):
        api.add("PATCH", "listings/50", status=403, body=api_error("forbidden", "Not yours."))

        response = logged_in.post("/listings/50/status/", {"status": "sold"})

        assert response.status_code == 403
        assert "You can't do that" in response.content.decode()

    def test_conflict_shown_as_message_on_dashboard(self, logged_in, api):
        api.add(
            "PATCH",
            "listings/50",
            status=409,
            body=api_error("listing_reserved", "Reserved by an accepted order."),
        )
        api.get("dashboard", dashboard_body([]))

        response = logged_in.post("/listings/50/status/", {"status": "withdrawn"}, follow=True)

        assert response.redirect_chain == [("/dashboard/", 302)]
        assert "Reserved by an accepted order." in response.content.decode()

    def test_post_without_csrf_token_refused(self, api):
        client = csrf_client(api)

        response = client.post("/listings/50/status/", {"status": "sold"})

        assert response.status_code == 403
        assert api.calls_to("PATCH", "listings/50") == []


class DeleteListingTest:
    def test_anonymous_redirects_to_login(self, client, api):
        response = client.post("/listings/50/delete/", {"confirm": "yes"})

        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
        assert api.calls_to("DELETE", "listings/50") == []

    def test_get_not_allowed(self, logged_in, api):
        assert logged_in.get("/listings/50/delete/").status_code == 405

    def test_first_post_asks_for_confirmation_deletes_nothing(self, logged_in, api):
        api.get("listings/50", seller_listing(title=HOSTILE_TITLE))

        response = logged_in.post("/listings/50/delete/")

        assert response.status_code == 200
        html = response.content.decode()
        assert re.search(r'<form method="post" action="/listings/50/delete/"', html)
        assert '<input type="hidden" name="confirm" value="yes">' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert "<script>alert" not in html and "&lt;script&gt;" in html
        assert api.calls_to("DELETE", "listings/50") == []

    def test_confirmed_delete_redirects_to_dashboard(self, logged_in, api):
        api.mock.add("DELETE", api_url("listings/50"), status=204)

        response = logged_in.post("/listings/50/delete/", {"confirm": "yes"})

        assert response.status_code == 302 and response["Location"] == "/dashboard/"
        assert len(api.calls_to("DELETE", "listings/50")) == 1

    def test_double_submit_second_404_is_harmless(self, logged_in, api):
        api.mock.add("DELETE", api_url("listings/50"), status=204)
        api.add("DELETE", "listings/50", status=404, body=api_error("not_found"))

        first = logged_in.post("/listings/50/delete/", {"confirm": "yes"})
        second = logged_in.post("/listings/50/delete/", {"confirm": "yes"})

        assert first["Location"] == second["Location"] == "/dashboard/"

    def test_other_user_gets_403_page(self, logged_in, api):
        api.get("listings/50", seller_listing(seller=OTHER_SELLER))
        api.add("DELETE", "listings/50", status=403, body=api_error("forbidden"))

        assert logged_in.post("/listings/50/delete/").status_code == 403
        assert logged_in.post("/listings/50/delete/", {"confirm": "yes"}).status_code == 403

    def test_reserved_conflict_shown_on_dashboard(self, logged_in, api):
        api.add(
            "DELETE",
            "listings/50",
            status=409,
            body=api_error("listing_reserved", "It is reserved."),
        )
        api.get("dashboard", dashboard_body([]))

        response = logged_in.post("/listings/50/delete/", {"confirm": "yes"}, follow=True)

        assert response.redirect_chain == [("/dashboard/", 302)]
        assert "It is reserved." in response.content.decode()

    def test_post_without_csrf_token_refused(self, api):
        client = csrf_client(api)

        response = client.post("/listings/50/delete/", {"confirm": "yes"})

        assert response.status_code == 403
        assert api.calls_to("DELETE", "listings/50") == []


def dashboard_body(listings, *, page=1, pages=1, counts=None) -> dict:
    return {
        "listings": listings,
        "total": len(listings),
        "page": page,
        "pages": pages,
        "counts": counts or {"active": len(listings)},
    }


class DashboardTest:
    def test_anonymous_redirects_to_login(self, client, api):
        response = client.get("/dashboard/")

        assert response.status_code == 302
        assert response["Location"] == "/login/?next=%2Fdashboard%2F"
        assert len(api.mock.calls) == 0

    def test_lists_every_status_with_views_orders_cover_and_actions(self, logged_in, api):
        listings = [
            {
                **seller_listing(1, title="Active one", status="active", view_count=12),
                "open_orders": 2,
            },
            {**seller_listing(2, title="Reserved one", status="reserved"), "open_orders": 1},
            {**seller_listing(3, title="Sold one", status="sold", photos=[]), "open_orders": 0},
            {**seller_listing(4, title="Withdrawn one", status="withdrawn"), "open_orders": 0},
        ]
        api.get(
            "dashboard",
            dashboard_body(
                listings, counts={"active": 1, "reserved": 1, "sold": 1, "withdrawn": 1}
            ),
        )

        response = logged_in.get("/dashboard/")

        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('data-testid="dashboard-item"') == 4
        for title in ("Active one", "Reserved one", "Sold one", "Withdrawn one"):
            assert title in html
        badges = re.findall(r'data-testid="status-badge">([^<]+)<', html)
        assert badges == ["For sale", "Reserved", "Sold", "Withdrawn"]
        assert (
            "12 views" in html
            and "2 open order requests" in html
            and "1 open order request<" in html
        )
        assert f'src="{make_photo(501)["card_url"]}"' in html
        assert 'alt="No photo yet for Sold one"' in html
        for pk in (1, 2, 3, 4):
            assert f'href="/listings/{pk}/edit/"' in html
        # Status forms: not for the reserved listing; never offer the current status.
        assert 'action="/listings/2/status/"' not in html
        assert 'action="/listings/2/delete/"' not in html
        assert ">Withdraw<" in html and ">Mark sold<" in html and ">Reactivate<" in html
        assert html.count('action="/listings/1/status/"') == 2
        assert 'action="/listings/1/delete/"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        # Two calls: who is logged in, and the dashboard itself (no call per listing).
        assert len(api.mock.calls) == 2
        assert (
            api.calls_to("GET", "dashboard")[0].request.headers["Authorization"]
            == f"Bearer {TOKEN}"
        )

    def test_status_filter_and_page_forwarded(self, logged_in, api):
        api.get(
            "dashboard",
            dashboard_body(
                [seller_listing(1, status="sold")], page=2, pages=3, counts={"sold": 30}
            ),
        )

        response = logged_in.get("/dashboard/?status=sold&page=2")

        assert response.status_code == 200
        call = api.calls_to("GET", "dashboard")[0]
        assert "status=sold" in call.request.url and "page=2" in call.request.url
        html = response.content.decode()
        assert re.search(r'class="nav-link active" href="/dashboard/\?status=sold"', html)
        assert 'href="?status=sold&amp;page=3"' in html and 'href="?status=sold&amp;page=1"' in html

    def test_unknown_status_and_bad_page_ignored(self, logged_in, api):
        api.get("dashboard", dashboard_body([]))

        response = logged_in.get("/dashboard/?status=bogus&page=-4")

        assert response.status_code == 200
        url = api.calls_to("GET", "dashboard")[0].request.url
        assert "status=" not in url and "page=1" in url
        assert "You have no listings yet." in response.content.decode()

    def test_hostile_title_is_escaped(self, logged_in, api):
        api.get(
            "dashboard",
            dashboard_body([{**seller_listing(1, title=HOSTILE_TITLE), "open_orders": 0}]),
        )

        html = logged_in.get("/dashboard/").content.decode()

        assert "<script>alert" not in html
        assert (
            'alt="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;"'
            in html
        )


class ListingPageSellingTest:
    def test_gallery_uses_detail_thumbnail_else_original(self, client, api):
        photos = [make_photo(1, 0), make_photo(2, 1, detail_url=None, card_url=None)]
        api.get("listings/5", make_listing(id=5, title="Lamp", photos=photos))

        html = client.get("/listings/5/").content.decode()

        assert f'src="{photos[0]["detail_url"]}"' in html
        assert f'src="{photos[1]["url"]}"' in html
        assert f'<a href="{photos[0]["url"]}">' in html  # the full photo behind each one
        assert 'alt="Lamp"' in html and 'alt="Lamp, photo 2"' in html
        assert 'width="1600" height="1200"' in html
        assert "placeholder.svg" not in html.split("<article", 1)[1].split("</article>")[0]

    def test_without_photos_shows_placeholder(self, client, api):
        api.get("listings/5", make_listing(id=5, title="Lamp", photos=[]))

        html = client.get("/listings/5/").content.decode()

        assert 'alt="No photo yet for Lamp"' in html

    @pytest.mark.parametrize(
        ("status", "banner"),
        [
            ("reserved", "This item is reserved"),
            ("sold", "This item is sold"),
            ("withdrawn", "This item is withdrawn by the seller"),
        ],
    )
    def test_status_banner(self, client, api, status, banner):
        api.get("listings/5", make_listing(id=5, status=status))

        html = client.get("/listings/5/").content.decode()

        assert f'data-testid="status-banner">{banner}<' in html

    def test_active_listing_has_no_banner(self, client, api):
        api.get("listings/5", make_listing(id=5))

        assert 'data-testid="status-banner"' not in client.get("/listings/5/").content.decode()

    def test_anonymous_page_has_nothing_per_user(self, client, api):
        api.get("listings/5", make_listing(id=5, seller=SELLER, photos=[make_photo(1)]))

        response = client.get("/listings/5/")

        html = response.content.decode()
        assert "csrfmiddlewaretoken" not in html
        assert 'data-testid="seller-tools"' not in html and "/edit/" not in html
        assert "csrftoken" not in response.cookies
        assert api.calls_to("GET", "me") == []

    def test_seller_sees_edit_and_dashboard_links(self, logged_in, api):
        api.get("listings/5", make_listing(id=5, seller=SELLER))

        html = logged_in.get("/listings/5/").content.decode()

        assert 'href="/listings/5/edit/"' in html and 'href="/dashboard/"' in html

    def test_other_logged_in_user_sees_no_seller_tools(self, logged_in, api):
        api.get("listings/5", make_listing(id=5, seller=OTHER_SELLER))

        html = logged_in.get("/listings/5/").content.decode()

        assert 'data-testid="seller-tools"' not in html

    def test_hostile_title_escaped_in_gallery(self, client, api):
        api.get("listings/5", make_listing(id=5, title=HOSTILE_TITLE, photos=[make_photo(1)]))

        html = client.get("/listings/5/").content.decode()

        assert "<script>alert" not in html


class CardCoverTest:
    def test_home_cards_show_card_thumbnail_lazily(self, client, api):
        cover = make_photo(1, width=800, height=600)
        api.home(newest=[make_card(id=1, title="Bike", cover=cover)], popular=[])

        html = client.get("/").content.decode()

        assert re.search(
            rf'<img[^>]*src="{cover["card_url"]}"[^>]*alt="Bike"[^>]*width="800"[^>]*height="600"'
            r'[^>]*loading="lazy"',
            html,
        )

    def test_card_falls_back_to_original_before_thumbnails(self, client, api):
        cover = make_photo(2, card_url=None, detail_url=None)
        api.home(newest=[make_card(id=2, title="Desk", cover=cover)], popular=[])

        html = client.get("/").content.decode()

        assert f'src="{cover["url"]}"' in html


class PhotoUploadsOffTest:
    def test_create_form_has_no_file_input_while_photo_uploads_are_off(
        self, logged_in, api, settings
    ):
        settings.PHOTO_UPLOADS_ENABLED = False
        api.categories()
        page = logged_in.get("/listings/new/").content.decode()
        assert 'type="file"' not in page
        assert 'name="title"' in page
