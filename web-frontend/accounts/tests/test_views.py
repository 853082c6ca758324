"""Sign up, log in, log out and public profile pages, through Django's test client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client

from conftest import TOKEN, make_card, make_user

NEW_TOKEN = "new_" + "B" * 39


def auth_result(**user) -> dict:
    expires = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    return {"authenticator": NEW_TOKEN, "expires_at": expires, "user": make_user(**user)}


VALID_SIGNUP = {
    "username": "carol",
    "email": "carol@example.com",
    "password1": "correct horse battery",
    "password2": "correct horse battery",
}


class SignupTest:
    def test_get_shows_labelled_fields_and_csrf(self, client, api):
        response = client.get("/signup/")

        assert response.status_code == 200
        html = response.content.decode()
        for field in ("username", "email", "password1", "password2"):
            assert f'for="id_{field}"' in html and f'name="{field}"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert "<title>Sign up" in html

    def test_valid_post_sets_cookie_and_redirects_home(self, client, api):
        api.post("auth/signup", auth_result(username="carol"), status=201)

        response = client.post("/signup/", VALID_SIGNUP)

        assert response.status_code == 302
        assert response["Location"] == "/"
        cookie = response.cookies[settings.AUTH_COOKIE_NAME]
        assert cookie.value == NEW_TOKEN
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert not cookie["secure"]  # plain HTTP here
        assert 14 * 86400 - 60 < int(cookie["max-age"]) <= 14 * 86400
        assert api.json_sent("POST", "auth/signup") == [
            {"username": "carol", "email": "carol@example.com", "password": "correct horse battery"}
        ]

    def test_over_https_cookie_is_secure(self, client, api):
        api.post("auth/signup", auth_result(), status=201)

        response = client.post("/signup/", VALID_SIGNUP, HTTP_X_FORWARDED_PROTO="https")

        assert response.cookies[settings.AUTH_COOKIE_NAME]["secure"] is True

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"username": "bad name!"}, "username", "Enter a valid username"),
            ({"username": "u" * 151}, "username", "at most 150 characters"),
            ({"email": "not-an-email"}, "email", "valid email address"),
            ({"password1": "short", "password2": "short"}, "password1", "at least 8"),
            ({"password1": "12345678901", "password2": "12345678901"}, "password1", "numeric"),
            ({"password2": "something else"}, "password2", "do not match"),
        ],
    )
    def test_invalid_input_shows_field_error_and_creates_nothing(
        self, client, api, overrides, field, message
    ):
        response = client.post("/signup/", {**VALID_SIGNUP, **overrides})

        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="id_{field}_error"' in html
        assert message in html
        assert api.calls_to("POST", "auth/signup") == []
        assert settings.AUTH_COOKIE_NAME not in response.cookies

    def test_entered_values_kept_but_passwords_not_echoed(self, client, api):
        response = client.post("/signup/", {**VALID_SIGNUP, "password2": "different!!"})

        html = response.content.decode()
        assert 'value="carol"' in html and 'value="carol@example.com"' in html
        assert "correct horse battery" not in html

    def test_api_errors_mapped_to_fields(self, client, api):
        api.post(
            "auth/signup",
            {
                "error": "validation_failed",
                "detail": "Invalid input.",
                "fields": {
                    "username": ["A user with that username already exists."],
                    "password": ["This password is too common."],
                },
            },
            status=400,
        )

        response = client.post("/signup/", VALID_SIGNUP)

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_username_error"' in html and "already exists" in html
        assert 'id="id_password1_error"' in html and "too common" in html
        assert settings.AUTH_COOKIE_NAME not in response.cookies

    def test_api_down_gives_503_page(self, client, api):
        api.down("POST", "auth/signup")

        response = client.post("/signup/", VALID_SIGNUP)

        assert response.status_code == 503

    def test_post_without_csrf_token_refused(self, api):
        response = Client(enforce_csrf_checks=True).post("/signup/", VALID_SIGNUP)

        assert response.status_code == 403
        assert api.calls_to("POST", "auth/signup") == []


class LoginTest:
    def test_get_shows_form_with_hidden_next(self, client, api):
        response = client.get("/login/?next=/listings/new/")

        assert response.status_code == 200
        html = response.content.decode()
        assert 'for="id_username"' in html and 'for="id_password"' in html
        assert 'type="hidden" name="next" value="/listings/new/"' in html
        assert 'name="csrfmiddlewaretoken"' in html

    def test_get_with_foreign_next_drops_it(self, client, api):
        html = client.get("/login/?next=https://evil.example/").content.decode()

        assert "evil.example" not in html

    def test_valid_login_sets_cookie_and_redirects_to_next(self, client, api):
        api.post("auth/login", auth_result())

        response = client.post(
            "/login/", {"username": "alice", "password": "pw-123456", "next": "/listings/new/"}
        )

        assert response.status_code == 302
        assert response["Location"] == "/listings/new/"
        cookie = response.cookies[settings.AUTH_COOKIE_NAME]
        assert cookie.value == NEW_TOKEN
        assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
        assert api.json_sent("POST", "auth/login") == [
            {"username": "alice", "password": "pw-123456"}
        ]

    def test_next_with_query_string_kept(self, client, api):
        api.post("auth/login", auth_result())

        response = client.post(
            "/login/", {"username": "a", "password": "b", "next": "/search/?q=lamp&page=2"}
        )

        assert response["Location"] == "/search/?q=lamp&page=2"

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
    def test_open_redirect_refused(self, client, api, next_url):
        api.post("auth/login", auth_result())

        response = client.post("/login/", {"username": "a", "password": "b", "next": next_url})

        assert response.status_code == 302
        assert response["Location"] == "/"

    def test_bad_credentials_show_form_again_with_error(self, client, api):
        api.post(
            "auth/login",
            {"error": "invalid_credentials", "detail": "Wrong username or password."},
            status=401,
        )

        response = client.post(
            "/login/", {"username": "alice", "password": "wrong", "next": "/listings/new/"}
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "do not match an account" in html
        assert 'value="alice"' in html and 'value="/listings/new/"' in html
        assert settings.AUTH_COOKIE_NAME not in response.cookies

    def test_missing_fields_show_errors_and_call_nothing(self, client, api):
        response = client.post("/login/", {"username": "", "password": ""})

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_username_error"' in html and 'id="id_password_error"' in html
        assert api.calls_to("POST", "auth/login") == []

    def test_post_without_csrf_token_refused(self, api):
        response = Client(enforce_csrf_checks=True).post(
            "/login/", {"username": "a", "password": "b"}
        )

        assert response.status_code == 403
        assert api.calls_to("POST", "auth/login") == []

    def test_post_with_csrf_token_accepted(self, api):
        api.post("auth/login", auth_result())
        client = Client(enforce_csrf_checks=True)
        client.get("/login/")
        token = client.cookies[settings.CSRF_COOKIE_NAME].value

        response = client.post(
            "/login/", {"username": "a", "password": "b", "csrfmiddlewaretoken": token}
        )

        assert response.status_code == 302


class LogoutTest:
    def test_post_revokes_deletes_cookie_and_redirects_home(self, logged_in, api):
        api.add("POST", "auth/logout", status=204, body=None, json=None)

        response = logged_in.post("/logout/")

        assert response.status_code == 302
        assert response["Location"] == "/"
        cookie = response.cookies[settings.AUTH_COOKIE_NAME]
        assert cookie.value == "" and cookie["max-age"] == 0
        call = api.calls_to("POST", "auth/logout")[0]
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"

    def test_get_not_allowed(self, logged_in, api):
        response = logged_in.get("/logout/")

        assert response.status_code == 405
        assert api.calls_to("POST", "auth/logout") == []

    def test_already_expired_still_logs_out_cleanly(self, logged_in, api):
        api.post("auth/logout", {"error": "not_authenticated"}, status=401)

        response = logged_in.post("/logout/")

        assert response.status_code == 302 and response["Location"] == "/"
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0

    def test_api_down_still_forgets_cookie(self, logged_in, api):
        api.down("POST", "auth/logout")

        response = logged_in.post("/logout/")

        assert response.status_code == 302
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0

    def test_anonymous_post_just_redirects(self, client, api):
        response = client.post("/logout/")

        assert response.status_code == 302
        assert api.calls_to("POST", "auth/logout") == []

    def test_post_without_csrf_token_refused(self, api):
        client = Client(enforce_csrf_checks=True)
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.me()

        response = client.post("/logout/")

        assert response.status_code == 403
        assert api.calls_to("POST", "auth/logout") == []


class ProfileTest:
    def profile(self, **overrides):
        body = {
            "user": make_user(id=9, username="bob", display_name="Bob B."),
            "listings": [make_card(id=1, title="Desk lamp"), make_card(id=2, status="sold")],
            "total": 2,
            "page": 1,
            "pages": 1,
        }
        body.update(overrides)
        return body

    def test_anonymous_sees_user_and_listings(self, client, api):
        api.get("users/9", self.profile())

        response = client.get("/users/9/")

        assert response.status_code == 200
        html = response.content.decode()
        assert "<h1" in html and "Bob B." in html and "@bob" in html
        assert 'href="/listings/1/"' in html and "Desk lamp" in html
        assert "Sold" in html
        assert "<title>Bob B.&#x27;s listings" in html or "<title>Bob B.'s listings" in html

    def test_logged_in_shows_header_username(self, logged_in, api):
        api.get("users/9", self.profile())

        html = logged_in.get("/users/9/").content.decode()

        assert 'data-testid="current-username">alice<' in html

    def test_pagination_links_preserve_page_param(self, client, api):
        api.get("users/9", self.profile(total=45, page=2, pages=3))

        html = client.get("/users/9/?page=2").content.decode()

        assert 'href="?page=3"' in html and 'href="?page=1"' in html
        call = api.calls_to("GET", "users/9")[0]
        assert "page=2" in call.request.url

    def test_unknown_user_gives_404(self, client, api):
        api.get("users/404", {"error": "not_found"}, status=404)

        assert client.get("/users/404/").status_code == 404

    @pytest.mark.parametrize("page", ["abc", "0", "-3", "2.5", "", "10001", "9" * 30])
    def test_bad_page_param_shows_page_1(self, client, api, page):
        # Like the search page: a page that is not 1..10,000 is ignored, never a 404/500.
        api.get("users/9", self.profile())

        response = client.get("/users/9/", {"page": page})

        assert response.status_code == 200
        assert "page=1" in api.calls_to("GET", "users/9")[0].request.url

    def test_page_past_the_end_says_so_and_links_back(self, client, api):
        # Regression: "Listings (8)" next to "has not listed anything yet".
        api.get("users/9", self.profile(listings=[], total=8, page=999, pages=1))

        html = client.get("/users/9/?page=999").content.decode()

        assert "has not listed anything yet" not in html
        assert "No more listings on page 999" in html
        assert '<a class="btn btn-outline-primary" href="?">Back to page 1</a>' in html

    def test_page_past_the_end_of_several_links_to_the_last_page(self, client, api):
        api.get("users/9", self.profile(listings=[], total=45, page=7, pages=3))

        html = client.get("/users/9/?page=7").content.decode()

        assert 'href="?page=3">Go to the last page (3)</a>' in html
        assert "has not listed anything yet" not in html

    def test_no_listings_shows_empty_message(self, client, api):
        api.get("users/9", self.profile(listings=[], total=0, pages=0))

        html = client.get("/users/9/").content.decode()

        assert "has not listed anything yet" in html
