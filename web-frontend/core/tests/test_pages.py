"""Site-wide behaviour: error pages, health check, static files, headers, cookies."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from conftest import TOKEN


class ErrorPagesTest:
    def test_unknown_url_gives_friendly_404(self, client, api):
        response = client.get("/no/such/page/")

        assert response.status_code == 404
        html = response.content.decode()
        assert "find that page" in html and "<title>Page not found" in html
        assert 'id="header-q"' in html  # a page of the site, with its header

    def test_unknown_url_logged_in_shows_username(self, logged_in, api):
        html = logged_in.get("/no/such/page/").content.decode()

        assert 'data-testid="current-username">alice<' in html

    def test_unexpected_error_gives_friendly_500_without_traceback(self, api, monkeypatch):
        def boom(*args, **kwargs):
            raise RuntimeError("bug")

        monkeypatch.setattr("clients.experience_api.ExperienceApi.home", boom)
        client = Client(raise_request_exception=False)

        response = client.get("/")

        assert response.status_code == 500
        html = response.content.decode()
        assert "Something went wrong" in html and "Traceback" not in html
        assert "RuntimeError" not in html

    def test_503_page_does_not_ask_who_is_logged_in(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.down("GET", "home")
        api.me()

        response = client.get("/")

        assert response.status_code == 503
        assert response["Retry-After"] == "10"
        assert api.calls_to("GET", "me") == []

    def test_rate_limited_gives_429_page(self, client, api):
        api.get("home", {"error": "rate_limited"}, status=429)

        response = client.get("/")

        assert response.status_code == 429
        assert "Too many requests" in response.content.decode()

    def test_unhandled_api_validation_error_gives_400_page(self, client, api):
        api.get("users/7", {"error": "validation_failed", "fields": {"page": ["Bad."]}}, status=400)

        response = client.get("/users/7/")

        assert response.status_code == 400
        assert "look right" in response.content.decode()

    def test_api_5xx_gives_503_page(self, client, api):
        api.get("home", {"error": "models_unavailable"}, status=503)

        assert client.get("/").status_code == 503


class HealthzTest:
    def test_ok_without_calling_the_api(self, client, api):
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.content == b"ok"
        assert len(api.mock.calls) == 0


class StaticFilesTest:
    @pytest.mark.parametrize(
        "path",
        [
            "/static/css/site.css",
            "/static/img/logo.svg",
            "/static/img/placeholder.svg",
            "/static/vendor/bootstrap/css/bootstrap.min.css",
            "/static/vendor/bootstrap/js/bootstrap.bundle.min.js",
        ],
    )
    def test_served_locally(self, client, path):
        response = client.get(path)

        assert response.status_code == 200
        b"".join(response.streaming_content)

    def test_pages_reference_local_assets_only(self, client, api):
        api.home()

        html = client.get("/").content.decode()

        assert "/static/vendor/bootstrap/css/bootstrap.min.css" in html
        assert "cdn" not in html.lower() and "https://" not in html


class HeadersTest:
    def test_security_headers_and_instance(self, client, api):
        api.home()

        response = client.get("/")

        assert "default-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Served-By"] == "web-test"
        assert "Cookie" in response["Vary"]
        assert response["X-Request-ID"]

    def test_logged_in_pages_are_private(self, logged_in, api):
        api.home()

        response = logged_in.get("/")

        assert "private" in response["Cache-Control"]

    def test_request_id_travels_to_the_api(self, client, api):
        api.home()

        response = client.get("/", HTTP_X_REQUEST_ID="abc-123")

        assert response["X-Request-ID"] == "abc-123"
        assert api.calls_to("GET", "home")[0].request.headers["X-Request-ID"] == "abc-123"

    def test_forwarded_for_chain_passed_on(self, client, api):
        api.home()

        client.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="127.0.0.1")

        headers = api.calls_to("GET", "home")[0].request.headers
        assert headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"


class AuthCookieTest:
    def test_malformed_cookie_deleted_and_not_sent(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = "not a token"
        api.home()

        response = client.get("/")

        assert response.status_code == 200
        assert response.cookies[settings.AUTH_COOKIE_NAME]["max-age"] == 0
        assert "Authorization" not in api.calls_to("GET", "home")[0].request.headers
        assert api.calls_to("GET", "me") == []

    def test_me_unavailable_renders_anonymous_header_keeps_cookie(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.home()
        api.down("GET", "me")

        response = client.get("/")

        assert response.status_code == 200
        assert settings.AUTH_COOKIE_NAME not in response.cookies  # not deleted: may be fine

    def test_protected_page_with_me_unavailable_gives_503(self, client, api):
        client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
        api.down("GET", "me")

        assert client.get("/listings/new/").status_code == 503

    @override_settings(WEB_INSTANCE="")
    def test_no_instance_header_when_unset(self, client, api):
        api.home()

        assert "X-Served-By" not in client.get("/")


PAGES = [
    "/",
    "/listings/5/",
    "/search/?q=lamp",
    "/users/7/",
    "/signup/",
    "/login/",
    "/listings/new/",
    "/no/such/page/",
]


def stub_every_page(api):
    from conftest import make_card, make_listing, make_user

    api.home()
    api.categories()
    api.get("listings/5", make_listing(id=5))
    api.get(
        "search",
        {"total": 0, "page": 1, "pages": 0, "results": [], "facets": {"category": []}},
    )
    api.get("users/7", {"user": make_user(), "listings": [make_card()], "total": 1, "pages": 1})


class EveryPageTest:
    """The header contract on every page: search box `q`, and the login state."""

    @pytest.mark.parametrize("path", PAGES)
    def test_anonymous(self, client, api, path):
        stub_every_page(api)

        response = client.get(path)

        if path == "/listings/new/":
            assert response.status_code == 302
            return
        assert response.status_code == (404 if path == "/no/such/page/" else 200)
        html = response.content.decode()
        assert 'name="q"' in html and 'role="search"' in html
        assert 'href="/login/"' in html and "/logout/" not in html
        assert html.count("<h1") == 1 and "<title>" in html
        assert "<header" in html and "<main" in html and "<footer" in html
        assert f"&copy; {timezone.localtime().year} " in html
        assert api.calls_to("GET", "me") == []

    @pytest.mark.parametrize("path", PAGES)
    def test_logged_in(self, logged_in, api, path):
        stub_every_page(api)

        response = logged_in.get(path)

        assert response.status_code == (404 if path == "/no/such/page/" else 200)
        html = response.content.decode()
        assert 'data-testid="current-username">alice<' in html
        assert '<form action="/logout/" method="post"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert html.count("<h1") == 1
        assert len(api.calls_to("GET", "me")) == 1

    @pytest.mark.parametrize("path", PAGES)
    def test_every_input_has_a_label(self, logged_in, api, path):
        import re

        stub_every_page(api)

        html = logged_in.get(path).content.decode()

        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag or 'type="submit"' in tag:
                continue
            field_id = re.search(r'id="([^"]+)"', tag)
            assert field_id, f"input without id: {tag}"
            assert f'for="{field_id.group(1)}"' in html, f"no label for {tag}"

    @pytest.mark.parametrize("path", PAGES)
    def test_every_image_has_alt_text(self, client, api, path):
        import re

        stub_every_page(api)

        html = client.get(path).content.decode()

        for tag in re.findall(r"<img\b[^>]*>", html):
            assert re.search(r'\balt="', tag), f"image without alt: {tag}"


class MethodsTest:
    @pytest.mark.parametrize("path", ["/", "/listings/5/", "/search/?q=a", "/users/7/", "/login/"])
    def test_head_allowed_on_pages(self, client, api, path):
        stub_every_page(api)

        assert client.head(path).status_code == 200

    @pytest.mark.parametrize("path", ["/", "/listings/5/", "/search/", "/users/7/"])
    def test_post_to_read_only_pages_refused(self, client, api, path):
        assert client.post(path).status_code == 405
