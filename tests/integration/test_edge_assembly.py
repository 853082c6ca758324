"""Edge assembly of logged-in pages (issue 11; haproxy/edge_assembly.lua,
docs/edge-assembly.md).

Two halves, as for the edge micro-cache:

- ``AssemblyRulesTest`` runs the repository's haproxy.cfg in a private HAProxy in front
  of a stand-in that plays both the web tier (member shells, and whole pages when the
  script passes a request on) and the experience API (viewer fragments): the marker
  grammar filled for each kind of viewer, the CSRF token and cookie, the headers, and
  every case where the page must be left to the web tier.
- ``LiveEdgeAssemblyTest`` drives the running stack: an assembled page is the web tier's
  own render for that member (byte for byte but for the random tokens), its forms work,
  a favourite, a logout and a revoked authenticator show on the very next page, the
  views are counted once and for the right user, and no shell ever reaches a client.

No wall-clock assertions: what happened is read from headers, the stand-in's records and
the script's counters; waits poll with generous deadlines.
"""

from __future__ import annotations

import json
import re
import threading
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
CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SECRET = "Abcdefghijklmnopqrstuvwxyz012345"  # a csrftoken cookie: 32 of CSRF_CHARS


def unmask(token: str) -> str:
    """The secret behind a masked CSRF token (Django's _unmask_cipher_token)."""
    mask, cipher = token[:32], token[32:]
    return "".join(
        CSRF_CHARS[(CSRF_CHARS.index(c) - CSRF_CHARS.index(m)) % len(CSRF_CHARS)]
        for m, c in zip(mask, cipher, strict=True)
    )


# --------------------------------------------------------------------------- the stand-in
# What the web tier says its CSRF cookie looks like (X-Edge-Csrf-Cookie, core/shell.py).
CSRF_COOKIE_FORM = (
    "csrftoken=<!--mp:csrf-secret-->; expires=<!--mp:expires-->; Max-Age=31449600; Path=/; "
    "SameSite=Lax; Secure"
)
SHELL = (
    "<!--mp:shell 1--><!doctype html><p>id=<!--mp:user-id--> name=<!--mp:username-->"
    "<!--mp:unread--> <b><!--mp:unread-count--> unread</b><!--/mp:unread-->"
    '<form><input name="csrfmiddlewaretoken" value="<!--mp:csrf-->"></form>'
    "<!--mp:heart 1 9-->saved1<!--mp:else-->save1<!--/mp:heart-->"
    "<!--mp:heart 2 9-->saved2<!--mp:else-->save2<!--/mp:heart-->"
    "<!--mp:heart 3 7-->saved3<!--mp:else-->save3<!--/mp:heart-->"
    "|<!--mp:seller 9-->tools<!--mp:else-->buy <!--mp:token--><!--/mp:seller-->|"
    '<!--mp:heart 1 9-->again<!--mp:else-->again-save<!--/mp:heart--><i title="50%"></i></p>'
)
SHELLS = {
    "ok": SHELL,
    "no-marker": SHELL.replace("<!--mp:shell 1-->", ""),
    "other-version": SHELL.replace("<!--mp:shell 1-->", "<!--mp:shell 2-->"),
    "unknown-marker": SHELL + "<!--mp:email-->",
    "unbalanced": SHELL + "<!--mp:seller 9-->x",
    "else-in-unread": SHELL + "<!--mp:unread-->a<!--mp:else-->b<!--/mp:unread-->",
}
VIEWERS = {
    "ok": {"viewer": {"id": 7, "username": "o'brien&<x>", "unread_messages": 3}, "favourited": [2]},
    "calm": {"viewer": {"id": 7, "username": "calm", "unread_messages": 0}, "favourited": []},
    "seller": {"viewer": {"id": 9, "username": "sam", "unread_messages": 0}, "favourited": [1, 3]},
    "nofav": {"viewer": {"id": 7, "username": "x", "unread_messages": 0}, "favourited": None},
}


def authenticator(case: str) -> str:
    return f"case-{case}-{'a' * 20}"


class StandIn(BaseHTTPRequestHandler):
    """The web tier and the experience API at once; records every request."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    requests: list[dict] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        with self.lock:
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.requests.append({**headers, "path": url.path, "query": url.query})
        if url.path == "/api/v1/viewer":
            self._viewer()
        elif self.headers.get("X-Edge-Shell") == "1":
            self._shell(parse_qs(url.query).get("shell", ["ok"])[0])
        else:
            self._send(200, f"web render of {url.path}", {"Vary": "Cookie"})

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(302, "", {"Location": "/"})

    def _shell(self, case: str):
        headers = {
            "Vary": "Cookie",
            "Content-Security-Policy": "default-src 'self'",
            "X-Served-By": "standin",
            "X-Edge-Shell": "1",
            "X-Edge-Csrf-Cookie": CSRF_COOKIE_FORM,
        }
        if case == "missing":
            self._send(404, "no such page", {})
        elif case == "not-marked":
            self._send(200, SHELL, {"Vary": "Cookie"})
        elif case == "no-cookie-form":
            self._send(200, SHELL, {**headers, "X-Edge-Csrf-Cookie": "csrftoken=x"})
        elif case == "with-cookie":
            self._send(200, SHELL, {**headers, "Set-Cookie": "csrftoken=x; Path=/"})
        elif case == "no-store":
            self._send(200, SHELL, {**headers, "Cache-Control": "no-store"})
        else:
            self._send(200, SHELLS[case], headers)

    def _viewer(self):
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        case = token.split("-")[1] if token.startswith("case-") else ""
        if case in ("401", "503"):
            body = {"error": "not_authenticated" if case == "401" else "models_api_unavailable"}
            self._send(int(case), json.dumps(body), {"Content-Type": "application/json"})
        elif case == "garbage":
            self._send(200, "{not json", {"Content-Type": "application/json"})
        else:
            self._send(200, json.dumps(VIEWERS[case]), {"Content-Type": "application/json"})

    def _send(self, status: int, body: str, headers: dict):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "text/html; charset=utf-8"))
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    with serving(StandIn) as stand_in:
        address = stand_in.removeprefix("http://")
        with private_haproxy(
            tmp_path_factory.mktemp("assembly"),
            WEB1_ADDR=address,
            WEB2_ADDR=address,
            EXP_ADDR=address,
            # Periods of an hour: a shell is kept for the whole test; only a write ends it.
            EDGE_CACHE_SECONDS="3600",
            EDGE_CACHE_MAX_AGE="14400",
            EDGE_ASSEMBLY="on",
        ) as haproxy:
            yield haproxy


def page(edge, shell: str = "ok", viewer: str = "ok", path: str = "/search/", **cookies):
    """A logged-in GET of a page no other test asked for (the URI keys the shell)."""
    jar = {"auth": authenticator(viewer), "csrftoken": SECRET, **cookies}
    jar = {name: value for name, value in jar.items() if value is not None}
    url = f"{edge.url}{path}?shell={shell}&t={unique_word('a')}"
    return requests.get(url, cookies=jar, timeout=TIMEOUT)


def requests_to(path: str) -> list[dict]:
    with StandIn.lock:
        return [r for r in StandIn.requests if r["path"] == path]


def fields(text: str) -> dict:
    token = re.search(r'value="([^"]*)"', text).group(1)
    message_token = re.search(r"buy ([^|]*)\|", text)
    return {"csrf": token, "message_token": message_token.group(1) if message_token else None}


def assembled(response) -> bool:
    return "X-Edge-Assembly" in response.headers


class AssemblyRulesTest:
    def test_markers_are_filled_for_the_viewer(self, edge):
        response = page(edge)
        assert response.status_code == 200 and assembled(response)
        values = fields(response.text)
        expected = (
            "<!doctype html><p>id=7 name=o&#x27;brien&amp;&lt;x&gt;"
            " <b>3 unread</b>"
            f'<form><input name="csrfmiddlewaretoken" value="{values["csrf"]}"></form>'
            "save1saved2"
            f"|buy {values['message_token']}|"
            'again-save<i title="50%"></i></p>'
        )
        assert response.text == expected
        assert "<!--mp:" not in response.text

    def test_no_unread_messages_no_badge(self, edge):
        assert "unread" not in page(edge, viewer="calm").text

    def test_the_seller_gets_the_seller_branch_and_no_heart_on_own_listings(self, edge):
        text = page(edge, viewer="seller").text
        # Listings 1 and 2 are the seller's own (seller 9): no heart; 3 is saved.
        assert "name=sam" in text
        assert "save1" not in text and "saved1" not in text and "save2" not in text
        assert "saved3" in text
        assert "|tools|" in text and "again" not in text

    def test_favourites_unknown_no_hearts_at_all(self, edge):
        text = page(edge, viewer="nofav").text
        assert "save" not in text and "again" not in text
        assert "|buy " in text

    def test_csrf_token_is_masked_fresh_per_page_and_the_cookie_renewed(self, edge):
        first, second = page(edge), page(edge)
        tokens = [fields(r.text)["csrf"] for r in (first, second)]
        assert all(re.fullmatch(r"[A-Za-z0-9]{64}", t) for t in tokens)
        assert tokens[0] != tokens[1]
        assert [unmask(t) for t in tokens] == [SECRET, SECRET]
        cookie = first.headers["Set-Cookie"]
        assert cookie.startswith(f"csrftoken={SECRET}; expires=")
        assert cookie.endswith("; Max-Age=31449600; Path=/; SameSite=Lax; Secure")
        expires = re.search(r"expires=([^;]+);", cookie).group(1)
        assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", expires)

    def test_message_token_is_fresh_hex_per_page(self, edge):
        tokens = [fields(page(edge).text)["message_token"] for _ in range(3)]
        assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)
        assert len(set(tokens)) == 3

    def test_headers_are_the_shells_plus_the_logged_in_pages(self, edge):
        response = page(edge)
        headers = response.headers
        assert headers["Cache-Control"] == "private, no-cache"
        assert headers["Vary"].split(",")[0] == "Cookie"
        assert headers["Content-Security-Policy"] == "default-src 'self'"
        assert headers["X-Served-By"] == "standin"
        assert headers["X-Cache-Status"] == "BYPASS"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "X-Edge-Shell" not in headers and "X-Edge-Csrf-Cookie" not in headers
        assert re.fullmatch(r"[0-9A-F-]+", headers["X-Request-ID"])

    def test_a_shell_is_rendered_once_then_reused_for_every_member(self, edge):
        url = f"{edge.url}/?t={unique_word('reuse')}"
        before = len(requests_to("/"))
        kinds = []
        for case in ("ok", "calm", "seller", "ok"):
            jar = {"auth": authenticator(case), "csrftoken": SECRET}
            kinds.append(requests.get(url, cookies=jar, timeout=TIMEOUT).headers["X-Edge-Assembly"])
        assert kinds == ["MISS", "HIT", "HIT", "HIT"]
        assert len(requests_to("/")) == before + 1

    def test_a_write_through_the_door_renders_the_shell_again(self, edge):
        url = f"{edge.url}/?t={unique_word('purge')}"
        jar = {"auth": authenticator("ok"), "csrftoken": SECRET}
        get = lambda: requests.get(url, cookies=jar, timeout=TIMEOUT)  # noqa: E731
        assert [get().headers["X-Edge-Assembly"] for _ in range(2)] == ["MISS", "HIT"]
        posted = requests.post(
            f"{edge.url}/listings/new/", data={"x": "1"}, timeout=TIMEOUT, allow_redirects=False
        )
        assert posted.status_code == 302
        assert [get().headers["X-Edge-Assembly"] for _ in range(2)] == ["MISS", "HIT"]

    def test_the_viewer_is_asked_with_the_visitors_credentials(self, edge):
        response = page(edge, path="/listings/42/")
        asked = requests_to("/api/v1/viewer")[-1]
        assert asked["authorization"] == f"Bearer {authenticator('ok')}"
        assert parse_qs(asked["query"]) == {"listings": ["1,2,3"], "viewed": ["42"]}
        assert asked["x-request-id"] == response.headers["X-Request-ID"]
        assert asked["x-forwarded-for"] == "127.0.0.1"
        assert "cookie" not in asked
        shell = requests_to("/listings/42/")[-1]
        assert shell["x-edge-shell"] == "1" and "cookie" not in shell

    def test_only_the_listing_page_records_a_view(self, edge):
        for path in ("/", "/search/"):
            page(edge, path=path)
            assert "viewed" not in parse_qs(requests_to("/api/v1/viewer")[-1]["query"])

    @pytest.mark.parametrize(
        ("shell", "viewer", "cookies", "reason"),
        [
            ("ok", "ok", {"csrftoken": None}, "no_csrf_cookie"),
            ("ok", "ok", {"csrftoken": "short"}, "no_csrf_cookie"),
            ("ok", "ok", {"auth": "bad token!"}, "authenticator_malformed"),
            ("ok", "401", {}, "viewer_401"),
            ("ok", "503", {}, "viewer_503"),
            ("ok", "garbage", {}, "viewer_malformed"),
            ("missing", "ok", {}, "no_shell"),
            ("not-marked", "ok", {}, "no_shell"),
            ("no-cookie-form", "ok", {}, "no_shell"),
            ("with-cookie", "ok", {}, "no_shell"),
            ("no-store", "ok", {}, "no_shell"),
            ("no-marker", "ok", {}, "no_shell"),
            ("other-version", "ok", {}, "no_shell"),
            ("unknown-marker", "ok", {}, "no_shell"),
            ("unbalanced", "ok", {}, "no_shell"),
            ("else-in-unread", "ok", {}, "no_shell"),
        ],
    )
    def test_what_cannot_be_assembled_exactly_goes_to_the_web_tier(
        self, edge, shell, viewer, cookies, reason
    ):
        before = self._passed(edge).get(reason, 0)
        response = page(edge, shell=shell, viewer=viewer, **cookies)
        assert response.status_code == 200
        assert response.text == "web render of /search/"
        assert not assembled(response)
        assert self._passed(edge).get(reason, 0) == before + 1

    def test_a_flash_message_is_left_to_the_web_tier(self, edge):
        before = len(requests_to("/api/v1/viewer"))
        response = page(edge, messages="queued")
        assert response.text == "web render of /search/" and not assembled(response)
        assert len(requests_to("/api/v1/viewer")) == before

    def test_edge_shell_header_from_outside_never_reaches_the_web_tier(self, edge):
        url = f"{edge.url}/users/5/?t={unique_word('forged')}"
        response = requests.get(url, headers={"X-Edge-Shell": "1"}, timeout=TIMEOUT)
        assert response.text == "web render of /users/5/"
        assert "x-edge-shell" not in requests_to("/users/5/")[-1]

    def test_counters_are_on_the_stats_frontend(self, edge):
        before = requests.get(f"{edge.stats_url}/edge-assembly", timeout=TIMEOUT).json()
        page(edge)
        after = requests.get(f"{edge.stats_url}/edge-assembly", timeout=TIMEOUT).json()
        assert after["assembled"] == before["assembled"] + 1
        assert after["shell_misses"] == before["shell_misses"] + 1

    @staticmethod
    def _passed(edge) -> dict:
        stats = requests.get(f"{edge.stats_url}/edge-assembly", timeout=TIMEOUT).json()
        return stats["passed_to_web"] or {}


# --------------------------------------------------------------------------- the live stack
def username_in(text: str) -> str | None:
    match = re.search(r'data-testid="current-username">([^<]+)<', text)
    return match.group(1) if match else None


def normalised(text: str) -> str:
    """The page with its per-render random values (CSRF form tokens, the message form's
    double-submit token) replaced by fixed ones."""
    text = re.sub(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]{64}"', r'\1T"', text)
    return re.sub(r'(name="client_token" value=")[0-9a-f]{32}"', r'\1M"', text)


@pytest.fixture
def member(public_url, api):
    account = testsupport.signup(api)
    session = testsupport.browser_login(public_url, account)
    yield type("Member", (), {"account": account, "http": session})
    session.close()


@pytest.fixture
def seller(api):
    return testsupport.signup(api)


@pytest.fixture
def listing(api, seller):
    return testsupport.create_listing(
        api, seller.token, title=f"Assembly probe {unique_word('lamp')}"
    )


def assembled_get(session: requests.Session, url: str) -> requests.Response:
    response = session.get(url, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers.get("X-Edge-Assembly") in ("HIT", "MISS"), (
        "not assembled at the edge",
        response.headers,
    )
    return response


class LiveEdgeAssemblyTest:
    @pytest.mark.parametrize("kind", ["home", "listing", "search"])
    def test_an_assembled_page_is_the_web_tiers_own_render(
        self, public_url, stack_env, member, listing, kind
    ):
        path = {
            "home": "/",
            "listing": f"/listings/{listing['id']}/",
            "search": "/search/?q=probe",
        }[kind]
        web = f"http://127.0.0.1:{stack_env['WEB1_PORT']}"
        cookies = {
            "auth": member.http.cookies["auth"],
            "csrftoken": member.http.cookies["csrftoken"],
        }

        def same_page() -> bool:
            at_edge = assembled_get(member.http, public_url + path)
            direct = requests.get(web + path, cookies=cookies, timeout=TIMEOUT)
            assert direct.status_code == 200 and "X-Edge-Assembly" not in direct.headers
            for name in ("Content-Type", "Cache-Control", "Content-Security-Policy"):
                assert at_edge.headers[name] == direct.headers[name], name
            for response in (at_edge, direct):
                cookie = response.headers["Set-Cookie"]
                assert cookie.startswith(f"csrftoken={cookies['csrftoken']}; expires=")
                assert cookie.endswith("; Max-Age=31449600; Path=/; SameSite=Lax")
            # A page may change between the two (a view counted, a new listing): again.
            return normalised(at_edge.text) == normalised(direct.text)

        wait_until(same_page, 60, interval=0.5, message=f"the assembled {kind} page")

    def test_forms_on_an_assembled_page_work_and_the_next_page_shows_the_change(
        self, public_url, member, listing
    ):
        url = f"{public_url}/listings/{listing['id']}/"
        before = assembled_get(member.http, url)
        assert member.account.username == username_in(before.text)
        form = re.search(
            r'<form class="favourite-control favourite-page favourite-form"[^>]*>.*?</form>',
            before.text,
            re.S,
        ).group(0)
        assert 'aria-pressed="false"' in form
        saved = member.http.post(
            f"{public_url}/listings/{listing['id']}/favourite/",
            data={"csrfmiddlewaretoken": csrf_token(form), "action": "save", "next": url},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert saved.status_code == 302, saved.text[:300]
        after = member.http.get(url, timeout=TIMEOUT)
        assert after.status_code == 200
        if "X-Edge-Assembly" not in after.headers:  # a flash message: the web tier's
            after = assembled_get(member.http, url)
        assert 'aria-pressed="true"' in after.text
        page = assembled_get(member.http, f"{public_url}/")
        logged_out = member.http.post(
            f"{public_url}/logout/",
            data={"csrfmiddlewaretoken": csrf_token(page.text)},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert logged_out.status_code == 302
        assert username_in(member.http.get(f"{public_url}/", timeout=TIMEOUT).text) is None

    def test_a_revoked_authenticator_is_anonymous_on_the_very_next_page(
        self, public_url, api, member
    ):
        assert username_in(assembled_get(member.http, f"{public_url}/").text)
        # A password change (through the API, with another authenticator of the account)
        # revokes every other one: the session's too.
        testsupport.change_password(api, member.account, "N3w-pass-" + unique_word("pw"))
        after = member.http.get(f"{public_url}/", timeout=TIMEOUT)
        assert after.status_code == 200 and "X-Edge-Assembly" not in after.headers
        assert username_in(after.text) is None
        assert not member.http.cookies.get("auth")

    def test_the_seller_gets_the_seller_tools_and_no_heart_on_their_listing(
        self, public_url, seller, listing
    ):
        session = testsupport.browser_login(public_url, seller)
        try:
            text = assembled_get(session, f"{public_url}/listings/{listing['id']}/").text
        finally:
            session.close()
        assert 'data-testid="seller-tools"' in text
        assert 'id="order-form"' not in text and "favourite-page" not in text

    def test_views_are_counted_once_each_for_the_member(
        self, public_url, stack_env, member, listing
    ):
        url = f"{public_url}/listings/{listing['id']}/"
        for _ in range(3):
            assembled_get(member.http, url)
        access_log = Path(stack_env["ACCESS_LOG_PATH"])

        def views(user: str) -> int:
            text = access_log.read_text() if access_log.exists() else ""
            return sum(1 for line in text.splitlines() if line == f"{user}\t{listing['id']}")

        wait_until(lambda: views(str(member.account.id)) >= 3, 90, message="3 views logged")
        assert views(str(member.account.id)) == 3
        assert views("-") == 0  # rendering the shell is not a view

    def test_no_shell_ever_reaches_a_client(self, public_url, member, visitor):
        for client in (member.http, visitor):
            response = client.get(
                f"{public_url}/search/?q={unique_word('shell')}",
                headers={"X-Edge-Shell": "1"},
                timeout=TIMEOUT,
            )
            assert response.status_code == 200
            assert "<!--mp:" not in response.text and "X-Edge-Shell" not in response.headers

    def test_without_a_csrf_cookie_the_web_tier_renders_and_hands_one_out(
        self, public_url, api, member
    ):
        session = testsupport.session(public_url)
        try:
            session.cookies.set("auth", member.http.cookies["auth"])
            first = session.get(f"{public_url}/", timeout=TIMEOUT)
            assert "X-Edge-Assembly" not in first.headers
            assert username_in(first.text) == member.account.username
            assert session.cookies.get("csrftoken")
            assembled_get(session, f"{public_url}/")
        finally:
            session.close()


@pytest.fixture
def visitor(public_url):
    session = testsupport.session(public_url)
    yield session
    session.close()
