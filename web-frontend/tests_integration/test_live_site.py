"""The site against the live stack, through HAProxy (``make up`` first).

Run: ``cd web-frontend && ../.venv/bin/pytest -m integration`` (the site is the stack's
``PUBLIC_URL``, from its settings). These use plain HTTP like a browser would: cookies,
the CSRF token from the form, redirects; each session talks from its own loopback
address (``testsupport.session``), so HAProxy's per-address limit on credential POSTs is
never shared with another test or suite. Without the stack the run fails, never skips.
"""

from __future__ import annotations

import re

import pytest
import requests

import testsupport
from testsupport import csrf_token, unique_word, wait_until

pytestmark = pytest.mark.integration

BASE_URL = testsupport.public_url()
TIMEOUT = 15
LISTING_LINK = re.compile(r'href="/listings/(\d+)/"')


def post_form(session: requests.Session, path: str, data: dict) -> requests.Response:
    """GET the form (for the CSRF cookie and token), then POST it without following."""
    page = session.get(BASE_URL + path, timeout=TIMEOUT)
    assert page.status_code == 200, page.status_code
    form = {"csrfmiddlewaretoken": csrf_token(page.text), **data}
    return session.post(BASE_URL + path, data=form, allow_redirects=False, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def site():
    testsupport.require_site(BASE_URL)
    return BASE_URL


@pytest.fixture
def new_user(site):
    """A freshly signed-up user (session logged in) and their credentials."""
    session = testsupport.session(BASE_URL)
    username = unique_word("webit")
    response = post_form(
        session,
        "/signup/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": "integration-pass-123",
            "password2": "integration-pass-123",
        },
    )
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"
    assert session.cookies.get("auth")
    return session, username


class LiveHomeTest:
    def test_home_renders_seeded_listings(self, site):
        response = requests.get(site + "/", timeout=TIMEOUT)

        assert response.status_code == 200
        assert "Newest listings" in response.text and "Most popular" in response.text
        assert len(set(LISTING_LINK.findall(response.text))) >= 8
        assert 'name="q"' in response.text

    def test_listing_detail_from_home(self, site):
        home = requests.get(site + "/", timeout=TIMEOUT).text
        listing_id = LISTING_LINK.findall(home)[0]

        response = requests.get(f"{site}/listings/{listing_id}/", timeout=TIMEOUT)

        assert response.status_code == 200
        assert re.search(r'href="/users/\d+/"', response.text)
        assert "Description" in response.text and "$" in response.text

    def test_unknown_listing_is_404_page(self, site):
        response = requests.get(site + "/listings/987654321/", timeout=TIMEOUT)

        assert response.status_code == 404
        assert "find that page" in response.text

    def test_static_assets_are_hashed_and_served(self, site):
        html = requests.get(site + "/", timeout=TIMEOUT).text
        css = re.search(
            r'href="(/static/vendor/bootstrap/css/bootstrap\.min\.[0-9a-f]{12}\.css)"', html
        )
        assert css, "bootstrap CSS is not referenced with a cache-busting name"

        response = requests.get(site + css.group(1), timeout=TIMEOUT)

        assert response.status_code == 200
        assert "max-age" in response.headers.get("Cache-Control", "")

    def test_both_instances_serve(self, site):
        # Round robin: both appear within a few requests. Polled with a deadline, in case
        # an instance is being restarted right now (HAProxy skips it until it is back).
        # A new query each time: no cache in front of the instances can answer for them.
        served_by: set[str | None] = set()

        def both_seen():
            response = requests.get(site + "/search/", params={"q": unique_word()}, timeout=TIMEOUT)
            served_by.add(response.headers.get("X-Served-By"))
            return {"web1", "web2"} <= served_by

        wait_until(both_seen, 60, interval=0.1, message="answers from both web1 and web2")


class LiveAuthTest:
    def test_create_listing_requires_login(self, site):
        response = requests.get(site + "/listings/new/", allow_redirects=False, timeout=TIMEOUT)

        assert response.status_code == 302
        assert response.headers["Location"] == "/login/?next=%2Flistings%2Fnew%2F"

    def test_post_without_csrf_token_refused(self, site):
        with testsupport.session(site) as session:
            response = session.post(
                site + "/login/", data={"username": "demo", "password": "x"}, timeout=TIMEOUT
            )

        assert response.status_code == 403

    def test_login_with_demo_user_and_open_redirect_refused(self, site):
        session = testsupport.session(site)

        response = post_form(
            session,
            "/login/",
            {"username": "demo", "password": "demo-password-123", "next": "//evil.example/"},
        )

        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        cookie = next(c for c in session.cookies if c.name == "auth")
        assert cookie.has_nonstandard_attr("HttpOnly")
        home = session.get(site + "/", timeout=TIMEOUT).text
        assert 'data-testid="current-username">demo<' in home

    def test_wrong_password_shows_error(self, site):
        response = post_form(
            testsupport.session(site), "/login/", {"username": "demo", "password": "wrong-password"}
        )

        assert response.status_code == 200
        assert "do not match an account" in response.text

    def test_logout_revokes_authenticator(self, new_user):
        session, _ = new_user
        old_token = session.cookies.get("auth")
        home = session.get(BASE_URL + "/", timeout=TIMEOUT).text

        response = session.post(
            BASE_URL + "/logout/",
            data={"csrfmiddlewaretoken": csrf_token(home)},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert session.cookies.get("auth") is None
        # The old token no longer works, even if someone kept a copy of the cookie.
        replay = requests.get(
            BASE_URL + "/listings/new/",
            cookies={"auth": old_token},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert replay.status_code == 302
        assert replay.headers["Location"].startswith("/login/")


class LiveJourneyTest:
    def test_signup_create_listing_detail_and_search(self, new_user):
        session, username = new_user
        word = unique_word()
        title = f"Integration teapot {word}"
        form_page = session.get(BASE_URL + "/listings/new/", timeout=TIMEOUT)
        assert form_page.status_code == 200
        slugs = re.findall(r'<option value="([a-z0-9-]+)"', form_page.text)
        category = next(s for s in slugs if s not in ("new", "like_new", "good", "fair", "poor"))

        response = session.post(
            BASE_URL + "/listings/new/",
            data={
                "csrfmiddlewaretoken": csrf_token(form_page.text),
                "title": title,
                "description": "Made by the web-frontend integration test.\nSecond line.",
                "price": "1234.50",
                "category": category,
                "condition": "like_new",
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )

        assert response.status_code == 302, response.text[:500]
        location = response.headers["Location"]
        assert re.fullmatch(r"/listings/\d+/", location)
        detail = session.get(BASE_URL + location, timeout=TIMEOUT)
        assert detail.status_code == 200
        assert title in detail.text and "$1,234.50" in detail.text
        assert "Second line." in detail.text and "Like new" in detail.text
        assert f'data-testid="current-username">{username}<' in detail.text

        # Searchable soon after (Kafka -> indexer -> search engine).
        def search_page():
            page = session.get(BASE_URL + "/search/", params={"q": word}, timeout=TIMEOUT)
            return page if page.status_code == 200 and location in page.text else None

        results = wait_until(search_page, 60, interval=0.5, message=f"{location} in search")
        assert f'href="{location}"' in results.text

    def test_invalid_listing_creates_nothing(self, new_user):
        session, _ = new_user
        form_page = session.get(BASE_URL + "/listings/new/", timeout=TIMEOUT)

        response = session.post(
            BASE_URL + "/listings/new/",
            data={
                "csrfmiddlewaretoken": csrf_token(form_page.text),
                "title": "",
                "description": "x",
                "price": "-1",
                "category": "",
            },
            allow_redirects=False,
            timeout=TIMEOUT,
        )

        assert response.status_code == 200
        assert 'id="id_title_error"' in response.text and 'id="id_price_error"' in response.text


class LiveSearchTest:
    def test_search_page_works(self, site):
        home = requests.get(site + "/", timeout=TIMEOUT).text
        listing_id = LISTING_LINK.findall(home)[0]
        detail = requests.get(f"{site}/listings/{listing_id}/", timeout=TIMEOUT).text
        title = re.search(r"<h1[^>]*>([^<]+)</h1>", detail).group(1)
        word = max(re.findall(r"[A-Za-z]{4,}", title), key=len)

        response = requests.get(site + "/search/", params={"q": word}, timeout=TIMEOUT)

        assert response.status_code == 200
        assert LISTING_LINK.search(response.text)
        assert "<mark>" in response.text
        assert re.search(r"\d[\d,]* listings?", response.text)

    def test_filters_sort_and_facets(self, site):
        response = requests.get(
            site + "/search/",
            params={"min_price": "1", "max_price": "500", "sort": "price_asc"},
            timeout=TIMEOUT,
        )

        assert response.status_code == 200
        assert '<option value="price_asc" selected>' in response.text
        assert "Categories" in response.text  # facet counts are shown

    def test_no_match_message(self, site):
        response = requests.get(site + "/search/", params={"q": "qqqxxzzznomatch"}, timeout=TIMEOUT)

        assert response.status_code == 200
        assert "No listings match" in response.text


class LiveOneCallPagesTest:
    """Logged-in home and listing pages take the viewer and the hearts from the page's
    own answer (issue 11): the viewer's own actions still show on the very next page."""

    def test_heart_then_logout_show_on_the_next_pages(self, new_user):
        session, username = new_user
        home = session.get(BASE_URL + "/", timeout=TIMEOUT)
        assert f'data-testid="current-username">{username}<' in home.text
        listing_id = LISTING_LINK.search(home.text).group(1)
        path = f"/listings/{listing_id}/"
        page = session.get(BASE_URL + path, timeout=TIMEOUT)
        assert "private" in page.headers["Cache-Control"]
        assert 'aria-pressed="false"' in page.text

        saved = session.post(
            BASE_URL + f"/listings/{listing_id}/favourite/",
            data={"csrfmiddlewaretoken": csrf_token(page.text), "action": "save", "next": path},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert saved.status_code == 302 and saved.headers["Location"] == path
        after = session.get(BASE_URL + path, timeout=TIMEOUT).text
        heart = re.search(rf'action="/listings/{listing_id}/favourite/".*?</form>', after, re.S)
        assert 'aria-pressed="true"' in heart.group(0)

        old_token = session.cookies.get("auth")
        out = session.post(
            BASE_URL + "/logout/",
            data={"csrfmiddlewaretoken": csrf_token(after)},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert out.status_code == 302
        replay = requests.get(BASE_URL + path, cookies={"auth": old_token}, timeout=TIMEOUT)
        assert replay.status_code == 200
        assert "current-username" not in replay.text
        assert 'href="/login/"' in replay.text
        assert replay.cookies.get("auth") is None
        assert 'auth=""' in replay.headers.get("Set-Cookie", "")
