"""The edge micro-cache for anonymous pages (issue 11; haproxy/haproxy.cfg, cache "pages").

Two halves:

- ``EdgeRulesTest`` runs the repository's own haproxy/haproxy.cfg in a private HAProxy
  (free loopback ports, its own socket) in front of a stub web tier that answers the
  cacheable paths the way a test asks: with a Set-Cookie, with Cache-Control private or
  no-store, with a per-request body. It proves the storage rules themselves, including
  for responses the real web tier never gives an anonymous visitor today.
- ``LiveEdgeCacheTest`` drives the running stack through its HAProxy: a logged-in page
  is never stored nor served to anyone else, the CSRF-protected forms (log in, create a
  listing, log out) work behind the cache, and a new listing is on the anonymous home
  page right after it was created (a write starts a new cache generation).

No wall-clock assertions: "served from the cache" is read from the X-Cache-Status header
and from the stub's request counter, and waits poll with generous deadlines.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

import testsupport
from testsupport import csrf_token, unique_word, wait_until
from testsupport.haproxy import private_haproxy
from testsupport.stubs import serving

pytestmark = pytest.mark.integration

TIMEOUT = 15
EDGE_SERVICE_TOKEN = "edge-test-service-token"


# --------------------------------------------------------------------------- the stub
class StubWebTier(BaseHTTPRequestHandler):
    """Answers every path; ``?as=<case>`` picks the kind of answer. Each body carries a
    serial number, so two equal bodies mean the second came from the cache."""

    serial = itertools.count(1)
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"
    # (service token, body) of every POST /internal/page-views (the edge's view counts).
    page_view_posts: list[tuple[str, dict]] = []

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._answer()

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        # HAProxy's HTTP client sends the absolute form ("POST http://host/path").
        if urlsplit(self.path).path == "/internal/page-views":
            with self.lock:
                self.page_view_posts.append(
                    (self.headers.get("X-Service-Token", ""), json.loads(body))
                )
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._answer(status=302 if "fail" not in self.path else 403)

    def _answer(self, status: int = 200):
        with self.lock:
            number = next(self.serial)
        query = parse_qs(urlsplit(self.path).query)
        case = query.get("as", ["plain"])[0]
        body = f"serial={number} cookie={self.headers.get('Cookie', '')}\n".encode()
        self.send_response(404 if case == "missing" else status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Cookie")
        if case == "cookie":
            self.send_header("Set-Cookie", f"csrftoken=t{number}; Path=/; SameSite=Lax")
        elif case == "private":
            self.send_header("Cache-Control", "private, no-cache")
        elif case == "no-store":
            self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """The repository's haproxy.cfg in a private HAProxy in front of the stub."""
    with serving(StubWebTier) as stub:
        stub_addr = stub.removeprefix("http://")
        with private_haproxy(
            tmp_path_factory.mktemp("edge"),
            WEB1_ADDR=stub_addr,
            WEB2_ADDR=stub_addr,
            EXP_ADDR=stub_addr,
            # Periods of an hour: no copy is renewed during a test, what ends one is a rule.
            EDGE_CACHE_SECONDS="3600",
            EDGE_CACHE_MAX_AGE="14400",
            EDGE_CACHE="on",
            SERVICE_TOKEN=EDGE_SERVICE_TOKEN,
        ) as haproxy:
            yield haproxy


def fresh_path(edge_path: str = "/search/") -> str:
    """A cacheable URL no other test has used (the query is part of the cache key)."""
    return f"{edge_path}?q={unique_word('edge')}"


def get(url: str, **kwargs) -> requests.Response:
    return requests.get(url, timeout=TIMEOUT, **kwargs)


def serial(response: requests.Response) -> str:
    return re.search(r"serial=(\d+)", response.text).group(1)


class EdgeRulesTest:
    @pytest.mark.parametrize("page", ["/", "/listings/12/", "/search/", "/users/3/"])
    def test_anonymous_page_is_stored_then_served_from_the_cache(self, edge, page):
        url = edge.url + fresh_path(page)
        first, second = get(url), get(url)
        assert first.headers["X-Cache-Status"] == "MISS"
        assert second.headers["X-Cache-Status"] == "HIT"
        assert serial(second) == serial(first)

    def test_concurrent_first_visitors_share_one_render(self, edge):
        url = edge.url + fresh_path()
        with ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(pool.map(lambda _: get(url), range(30)))
        assert {a.status_code for a in answers} == {200}
        assert len({serial(a) for a in answers}) == 1
        assert sorted(a.headers["X-Cache-Status"] for a in answers).count("MISS") == 1

    def test_gzip_clients_are_served_from_the_cache_too(self, edge):
        url = edge.url + fresh_path()
        first = get(url, headers={"Accept-Encoding": "gzip"})
        second = get(url, headers={"Accept-Encoding": "gzip"})
        assert second.headers["X-Cache-Status"] == "HIT"
        assert serial(second) == serial(first)

    def test_clients_get_the_web_tiers_headers_hit_or_miss(self, edge):
        url = edge.url + fresh_path()
        for response in (get(url), get(url)):
            assert response.headers["Vary"].split(",")[0].strip() == "Cookie"
            assert "Cache-Control" not in response.headers
            assert "X-Edge-Vary" not in response.headers
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            assert "Content-Security-Policy" in response.headers
        assert response.headers["X-Cache-Status"] == "HIT"

    def test_every_hit_gets_its_own_request_id(self, edge):
        url = edge.url + fresh_path()
        ids = {get(url).headers["X-Request-ID"] for _ in range(3)}
        assert len(ids) == 3

    @pytest.mark.parametrize("case", ["cookie", "private", "no-store", "missing"])
    def test_response_with_set_cookie_or_private_or_error_is_never_stored(self, edge, case):
        url = edge.url + fresh_path() + f"&as={case}"
        answers = [get(url) for _ in range(3)]
        assert [a.headers["X-Cache-Status"] for a in answers] == ["MISS"] * 3
        assert len({serial(a) for a in answers}) == 3
        if case == "cookie":
            # Each client got its own cookie, never another client's.
            cookies = [a.headers["Set-Cookie"] for a in answers]
            assert len(set(cookies)) == 3

    @pytest.mark.parametrize("cookie", ["auth=tok_" + "A" * 39, "auth=", "messages=abc"])
    def test_request_with_a_per_visitor_cookie_bypasses_the_cache(self, edge, cookie):
        url = edge.url + fresh_path()
        stored = get(url)
        assert get(url).headers["X-Cache-Status"] == "HIT"
        mine = get(url, headers={"Cookie": f"csrftoken=x; {cookie}"})
        assert mine.headers["X-Cache-Status"] == "BYPASS"
        assert serial(mine) != serial(stored)
        assert cookie in mine.text  # the backend saw the visitor's own cookie

    def test_page_rendered_for_a_cookie_holder_is_not_stored_for_others(self, edge):
        url = edge.url + fresh_path()
        theirs = get(url, headers={"Cookie": "auth=tok_" + "B" * 39})
        anonymous = get(url)
        assert anonymous.headers["X-Cache-Status"] == "MISS"
        assert serial(anonymous) != serial(theirs)
        assert "auth=" not in anonymous.text

    def test_other_paths_and_methods_bypass(self, edge):
        for path in ("/login/", "/listings/new/", "/healthz", "/dashboard/"):
            assert get(edge.url + path).headers["X-Cache-Status"] == "BYPASS", path
        head = requests.head(edge.url + fresh_path(), timeout=TIMEOUT)
        assert head.headers["X-Cache-Status"] == "BYPASS"

    def test_successful_write_starts_a_new_generation(self, edge):
        url = edge.url + fresh_path()
        stored = get(url)
        assert serial(get(url)) == serial(stored)
        refused = requests.post(edge.url + "/listings/new/?fail=1", data={"x": "1"}, timeout=5)
        assert refused.status_code == 403
        assert serial(get(url)) == serial(stored)  # a refused write purges nothing
        written = requests.post(
            edge.url + "/listings/new/", data={"x": "1"}, timeout=5, allow_redirects=False
        )
        assert written.status_code == 302
        after = get(url)
        assert after.headers["X-Cache-Status"] == "MISS"
        assert serial(after) != serial(stored)
        assert serial(get(url)) == serial(after)

    def test_logging_in_does_not_purge(self, edge):
        url = edge.url + fresh_path()
        stored = get(url)
        requests.post(edge.url + "/login/", data={"u": "x"}, timeout=5, allow_redirects=False)
        assert serial(get(url)) == serial(stored)

    def test_listing_views_served_from_the_cache_are_reported_as_page_views(self, edge):
        listing_id = str(900_000 + next(StubWebTier.serial))
        url = f"{edge.url}/listings/{listing_id}/"
        answers = [get(url) for _ in range(4)]
        hits = [a for a in answers if a.headers["X-Cache-Status"] == "HIT"]
        assert len(hits) == 3  # the first rendered it (the API counts that one itself)

        def reported() -> int:
            with StubWebTier.lock:
                posts = list(StubWebTier.page_view_posts)
            assert all(token == EDGE_SERVICE_TOKEN for token, _ in posts)
            return sum(body["views"].get(listing_id, 0) for _, body in posts)

        wait_until(lambda: reported() >= 3, 30, message="3 views posted to the API")
        assert reported() == 3

    def test_hits_are_counted_in_the_stats(self, edge):
        def web_hits() -> int:
            lines = requests.get(edge.stats, timeout=5).text.splitlines()
            header = lines[0].lstrip("# ").split(",")
            for line in lines[1:]:
                row = dict(zip(header, line.split(","), strict=False))
                if (row["pxname"], row["svname"]) == ("web", "BACKEND"):
                    return int(row["cache_hits"] or 0)
            raise AssertionError("no web backend in the stats")

        url = edge.url + fresh_path()
        get(url)
        before = web_hits()
        get(url)
        get(url)
        assert web_hits() == before + 2


# --------------------------------------------------------------------------- the live stack
def username_in(page: str) -> str | None:
    match = re.search(r'data-testid="current-username">([^<]+)<', page)
    return match.group(1) if match else None


@pytest.fixture
def visitor(public_url):
    session = testsupport.session(public_url)
    yield session
    session.close()


@pytest.fixture
def member(public_url, api):
    """A fresh account and a browser-like session logged in through the login form."""
    account = testsupport.signup(api)
    session = testsupport.browser_login(public_url, account)
    yield type("Member", (), {"account": account, "http": session})
    session.close()


class LiveEdgeCacheTest:
    def test_anonymous_home_is_served_from_the_edge(self, public_url, visitor):
        wait_until(
            lambda: (
                visitor.get(f"{public_url}/", timeout=TIMEOUT).headers["X-Cache-Status"] == "HIT"
            ),
            30,
            interval=0.05,
            message="an anonymous home page served from the edge cache",
        )

    @pytest.mark.parametrize("page", ["/", "/search/?q=vintage"])
    def test_logged_in_page_is_never_served_to_another_client(
        self, public_url, visitor, member, page
    ):
        # A URL of its own (the query is part of the key): nothing else stores it.
        url = f"{public_url}{page}{'&' if '?' in page else '?'}probe={unique_word('p')}"
        for _ in range(3):
            mine = member.http.get(url, timeout=TIMEOUT)
            assert mine.status_code == 200
            assert username_in(mine.text) == member.account.username
            assert mine.headers["X-Cache-Status"] == "BYPASS"
            assert "private" in mine.headers["Cache-Control"]
        first = visitor.get(url, timeout=TIMEOUT)
        assert first.headers["X-Cache-Status"] == "MISS"  # nothing was stored for it
        assert username_in(first.text) is None
        assert member.account.username not in first.text
        # Now an anonymous copy is stored; the member still gets their own page.
        assert visitor.get(url, timeout=TIMEOUT).headers["X-Cache-Status"] in ("HIT", "MISS")
        again = member.http.get(url, timeout=TIMEOUT)
        assert again.headers["X-Cache-Status"] == "BYPASS"
        assert username_in(again.text) == member.account.username
        assert member.account.username not in visitor.get(url, timeout=TIMEOUT).text

    def test_login_form_and_its_cookie_never_come_from_the_cache(self, public_url, visitor):
        answers = [visitor.get(f"{public_url}/login/", timeout=TIMEOUT) for _ in range(2)]
        assert [a.headers["X-Cache-Status"] for a in answers] == ["BYPASS", "BYPASS"]
        assert csrf_token(answers[0].text) != csrf_token(answers[1].text)

    def test_create_listing_form_works_and_the_home_page_shows_it_at_once(
        self, public_url, visitor, member
    ):
        home = f"{public_url}/"
        wait_until(
            lambda: visitor.get(home, timeout=TIMEOUT).headers["X-Cache-Status"] == "HIT",
            30,
            interval=0.05,
            message="an anonymous home page stored at the edge",
        )
        form = member.http.get(f"{public_url}/listings/new/", timeout=TIMEOUT)
        assert form.headers["X-Cache-Status"] == "BYPASS"
        title = f"Edge probe {unique_word('lamp')}"
        created = member.http.post(
            f"{public_url}/listings/new/",
            data={
                "csrfmiddlewaretoken": csrf_token(form.text),
                "title": title,
                "description": "Created by the edge cache test, please ignore.",
                "price": "12.50",
                "category": "electronics",
                "condition": "good",
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert created.status_code == 302, created.text[:500]
        assert re.fullmatch(r"/listings/\d+/", created.headers["Location"])
        # The write started a new cache generation: the very next anonymous home page is
        # rendered afresh, with the listing on it.
        after = visitor.get(home, timeout=TIMEOUT)
        assert after.headers["X-Cache-Status"] == "MISS"
        assert title in after.text
        listing = visitor.get(public_url + created.headers["Location"], timeout=TIMEOUT)
        assert listing.status_code == 200 and title in listing.text

    def test_anonymous_views_served_from_the_cache_still_count(
        self, public_url, api, visitor, member, stack_env
    ):
        listing = testsupport.create_listing(api, member.account.token, title="Edge views")
        url = f"{public_url}/listings/{listing['id']}/"
        answers = [visitor.get(url, timeout=TIMEOUT) for _ in range(6)]
        assert {a.status_code for a in answers} == {200}
        assert "HIT" in {a.headers["X-Cache-Status"] for a in answers}
        # Every anonymous view, rendered or served from the edge, is one line "-<TAB>id"
        # in the access log the page-view worker writes.
        access_log = Path(stack_env["ACCESS_LOG_PATH"])
        line = f"-\t{listing['id']}"

        def anonymous_views() -> int:
            text = access_log.read_text() if access_log.exists() else ""
            return sum(1 for entry in text.splitlines() if entry == line)

        wait_until(lambda: anonymous_views() >= 6, 90, message="6 anonymous views logged")
        assert anonymous_views() == 6

    def test_post_without_csrf_token_is_still_refused(self, public_url, member):
        response = member.http.post(
            f"{public_url}/listings/new/",
            data={"title": "x", "description": "y", "price": "1", "category": "electronics"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert response.status_code == 403

    def test_logout_form_works_and_the_next_page_is_anonymous(self, public_url, member):
        page = member.http.get(f"{public_url}/", timeout=TIMEOUT)
        assert username_in(page.text) == member.account.username
        response = member.http.post(
            f"{public_url}/logout/",
            data={"csrfmiddlewaretoken": csrf_token(page.text)},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert response.status_code == 302
        assert not member.http.cookies.get("auth")
        after = member.http.get(f"{public_url}/", timeout=TIMEOUT)
        assert username_in(after.text) is None
