"""The member shell of the home, listing and search pages (docs/edge-assembly.md, "The
shell (web tier)"), asked with ``X-Edge-Shell: 1``.

The proof is ``fill``: the grammar of docs/edge-assembly.md in Python (HAProxy has the
real filler, in Lua). For each page and member, the shell filled with what the viewer
fragment says is byte for byte the page the web tier renders for that member itself,
once the CSRF tokens and the message token (random in both) are set to a fixed string.
The experience API is stubbed at its HTTP edge: the page's data is the same with a
Bearer or without, and a Bearer adds the viewer's part (viewer, favourited).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils.html import escape

from conftest import TOKEN, api_url, make_card, make_listing

START = "<!--mp:shell 1-->"
SHELL = {"X-Edge-Shell": "1"}

BOB = {"id": 9, "username": "bob", "display_name": "Bob B."}
ALICE = {"id": 7, "username": "alice", "display_name": "Alice A."}


# ---------------------------------------------------------------- the reference filler
@dataclass
class Member:
    """What the viewer fragment tells the edge: the viewer and their favourites."""

    id: int
    username: str
    unread_messages: int
    favourites: set[int] = field(default_factory=set)

    def me(self) -> dict:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": "",
            "date_joined": "2024-03-01T10:00:00Z",
            "email": "member@example.com",
            "bio": "",
            "unread_messages": self.unread_messages,
        }


_MARKER = re.compile(r"<!--(/?mp:[a-z-]+)((?: \d+)*)-->")
_SLOTS = {"mp:user-id", "mp:username", "mp:csrf", "mp:token", "mp:unread-count"}
_BLOCK_ARGS = {"mp:unread": 0, "mp:seller": 1, "mp:heart": 2}


class NotAShell(AssertionError):
    pass


def parse(shell: str) -> list:
    """The shell as parts: text, ``("slot", name)`` or ``[kind, args, a, b]`` blocks.
    Raises NotAShell for anything outside the grammar."""
    if not shell.startswith(START):
        raise NotAShell("no <!--mp:shell 1--> at the start")
    body = shell[len(START) :]
    # Data never contains "<!--": every comment in a shell must be a marker.
    if body.count("<!--") != len(_MARKER.findall(body)):
        raise NotAShell("a comment that is not a marker")
    root: list = []
    current, open_blocks, pos = root, [], 0  # open_blocks: (block, the list it is in)
    for match in _MARKER.finditer(body):
        current.append(body[pos : match.start()])
        pos = match.end()
        name, args = match.group(1), [int(a) for a in match.group(2).split()]
        innermost = open_blocks[-1][0] if open_blocks else None
        if name in _SLOTS and not args:
            current.append(("slot", name))
        elif name in _BLOCK_ARGS and len(args) == _BLOCK_ARGS[name]:
            if any(block[0] == name for block, _ in open_blocks):
                raise NotAShell(f"{name} nested in itself")
            block = [name, args, [], None]
            current.append(block)
            open_blocks.append((block, current))
            current = block[2]
        elif name == "mp:else" and innermost and innermost[0] != "mp:unread" and not args:
            if innermost[3] is not None:
                raise NotAShell(f"a second mp:else in {innermost[0]}")
            current = innermost[3] = []
        elif innermost and name == "/" + innermost[0] and not args:
            if innermost[0] != "mp:unread" and innermost[3] is None:
                raise NotAShell(f"{innermost[0]} without mp:else")
            _, current = open_blocks.pop()
        else:
            raise NotAShell(f"unexpected {match.group(0)}")
    if open_blocks:
        raise NotAShell(f"{open_blocks[-1][0][0]} not closed")
    current.append(body[pos:])
    return root


def fill(shell: str, member: Member) -> str:
    """The page ``member`` gets from the edge for ``shell`` (docs/edge-assembly.md); its
    CSRF and message tokens are the fixed strings of ``with_fixed_tokens``."""
    slots = {
        "mp:user-id": str(member.id),
        "mp:username": escape(member.username),
        "mp:csrf": "CSRF",
        "mp:token": "TOKEN",
        "mp:unread-count": str(member.unread_messages),
    }

    def write(parts) -> str:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, tuple):
                out.append(slots[part[1]])
            else:
                kind, args, a, b = part
                if kind == "mp:unread":
                    out.append(write(a) if member.unread_messages > 0 else "")
                elif kind == "mp:seller":
                    out.append(write(a if args[0] == member.id else b))
                elif args[1] != member.id:  # mp:heart L S: nothing on one's own listing
                    out.append(write(a if args[0] in member.favourites else b))
        return "".join(out)

    return write(parse(shell))


def with_fixed_tokens(html: str) -> str:
    """The page with every CSRF form token and the message token set to fixed strings."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1CSRF"', html)
    return re.sub(r'(name="client_token" value=")[^"]*"', r'\1TOKEN"', html)


# ---------------------------------------------------------------- the pages and members
BUYER = Member(id=12, username="o'brien&<x>", unread_messages=3, favourites={1, 3, 5, 6})
# The listing's seller; a favourite of their own listing (5) still shows no heart.
SELLER = Member(id=9, username="bob", unread_messages=0, favourites={2, 5, 7})
MEMBERS = {"buyer": BUYER, "seller": SELLER}


def cards(*specs) -> list[dict]:
    return [make_card(id=listing_id, seller=seller) for listing_id, seller in specs]


UNKNOWN_SELLER = {"username": "gone"}  # no id: S is 0
HOME = {
    "newest": cards((1, BOB), (2, ALICE), (3, BOB), (4, UNKNOWN_SELLER)),
    "popular": cards((3, BOB), (6, ALICE)),
}
LISTING = make_listing(
    id=5,
    seller=BOB,
    title="Oak <table> & 'chairs'",
    recommendations=cards((6, ALICE), (7, BOB), (1, BOB)),
)
RESERVED_LISTING = make_listing(id=8, seller=BOB, status="reserved", recommendations=[])
SEARCH = {
    "results": cards((1, BOB), (2, ALICE), (7, BOB)),
    "total": 3,
    "page": 1,
    "pages": 1,
    "facets": {"category": [{"slug": "furniture", "name": "Furniture", "count": 3}]},
}
PAGES = {
    "home": ("/", "home", HOME),
    "listing": ("/listings/5/", "listings/5", LISTING),
    "reserved listing": ("/listings/8/", "listings/8", RESERVED_LISTING),
    "search": ("/search/?q=oak+%3Cb%3E&category=furniture&sort=newest", "search", SEARCH),
}


def stub_page(api, path: str, body: dict, member: Member | None = None):
    """The page's answer: with a Bearer it also carries ``member``'s viewer part."""

    def answer(request):
        page = dict(body)
        if member is not None and "Authorization" in request.headers:
            page.update(viewer=member.me(), favourited=sorted(member.favourites))
        return 200, {"Content-Type": "application/json"}, json.dumps(page)

    api.mock.add_callback("GET", api_url(path), callback=answer)


def logged_in_client() -> Client:
    client = Client()
    client.cookies[settings.AUTH_COOKIE_NAME] = TOKEN
    return client


def shell_of(path: str):
    return Client().get(path, headers=SHELL)


# ---------------------------------------------------------------- tests
class ShellFilledIsTheMembersPageTest:
    @pytest.mark.parametrize("member_name", MEMBERS)
    @pytest.mark.parametrize("page", PAGES)
    def test_filled_shell_is_the_page_rendered_for_the_member(self, api, page, member_name):
        member = MEMBERS[member_name]
        path, api_path, body = PAGES[page]
        stub_page(api, api_path, body, member)

        page_for_member = logged_in_client().get(path)
        shell = shell_of(path)

        assert page_for_member.status_code == 200 and shell.status_code == 200
        assert shell["X-Edge-Shell"] == "1"
        expected = with_fixed_tokens(page_for_member.content.decode())
        assert fill(shell.content.decode(), member) == expected

    def test_the_cases_are_the_ones_meant(self, api):
        # The comparisons above cover what they say: the seller's tools and the buy box,
        # saved and unsaved hearts, none on one's own cards, the unread badge or none.
        stub_page(api, "listings/5", LISTING, BUYER)
        shell = shell_of("/listings/5/").content.decode()

        as_buyer, as_seller = fill(shell, BUYER), fill(shell, SELLER)

        assert 'id="message-form"' in as_buyer and "seller-tools" not in as_buyer
        assert "seller-tools" in as_seller and 'id="message-form"' not in as_seller
        assert 'aria-label="3 unread">3</span>' in as_buyer
        assert 'id="unread-count"' not in as_seller
        assert 'current-username">o&#x27;brien&amp;&lt;x&gt;</a>' in as_buyer
        assert 'href="/users/12/"' in as_buyer
        hearts = re.compile(r'action="/listings/(\d+)/favourite/".*?aria-pressed="(\w+)"')
        saved = {"5": "true", "6": "true", "7": "false", "1": "true"}
        assert dict(hearts.findall(as_buyer)) == saved
        assert dict(hearts.findall(as_seller)) == {"6": "false"}  # 5, 7, 1 are bob's


class ShellHoldsNoMemberTest:
    @pytest.mark.parametrize("page", PAGES)
    def test_the_shell_is_a_marked_200_without_cookie_or_cache_control(self, api, page):
        path, api_path, body = PAGES[page]
        stub_page(api, api_path, body, BUYER)

        response = shell_of(path)

        assert response.status_code == 200
        assert response["X-Edge-Shell"] == "1"
        assert "Cache-Control" not in response
        assert not response.cookies
        assert response.content.startswith(b"<!--mp:shell 1--><!doctype html>\n")
        assert int(response["Content-Length"]) == len(response.content)
        assert response["X-Edge-Csrf-Cookie"].startswith("csrftoken=<!--mp:csrf-secret-->; ")

    @pytest.mark.parametrize("page", PAGES)
    def test_every_per_member_value_is_a_marker(self, api, page):
        path, api_path, body = PAGES[page]
        stub_page(api, api_path, body, BUYER)

        html = shell_of(path).content.decode()

        parse(html)  # within the grammar
        assert set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', html)) == {
            "<!--mp:csrf-->"
        }
        assert set(re.findall(r'name="client_token" value="([^"]*)"', html)) <= {"<!--mp:token-->"}
        assert 'data-testid="current-username"><!--mp:username--></a>' in html
        assert 'href="/users/<!--mp:user-id-->/"' in html
        assert "<!--mp:unread-->" in html
        assert BUYER.username not in html and escape(BUYER.username) not in html
        assert 'href="/login/' not in html and 'href="/signup/"' not in html  # a member's page
        forms = re.findall(r'<form class="favourite-control.*?</form>', html)
        assert len(forms) == 2 * len(re.findall(r"<!--mp:heart \d+ \d+-->", html)) > 0

    def test_hearts_name_their_listing_and_seller(self, api):
        stub_page(api, "home", HOME)

        html = shell_of("/").content.decode()

        assert re.findall(r"<!--mp:heart (\d+) (\d+)-->", html) == [
            ("1", "9"),
            ("2", "7"),
            ("3", "9"),
            ("4", "0"),  # the seller is unknown
            ("3", "9"),
            ("6", "7"),
        ]

    def test_the_api_is_asked_anonymously_and_told_it_is_a_shell(self, api):
        stub_page(api, "listings/5", LISTING)
        stub_page(api, "home", HOME)

        shell_of("/listings/5/")
        shell_of("/")

        for path in ("listings/5", "home"):
            (call,) = api.calls_to("GET", path)
            assert "Authorization" not in call.request.headers
            assert call.request.headers["X-Edge-Shell"] == "1"
        assert api.calls_to("GET", "me") == [] and api.calls_to("GET", "favourites/ids") == []

    def test_a_member_page_does_not_tell_the_api_it_is_a_shell(self, api):
        stub_page(api, "listings/5", LISTING, BUYER)

        logged_in_client().get("/listings/5/")

        (call,) = api.calls_to("GET", "listings/5")
        assert "X-Edge-Shell" not in call.request.headers


class CsrfCookieFormTest:
    """X-Edge-Csrf-Cookie, filled with the secret and expiry date, is the Set-Cookie of
    the member's own page, whatever the CSRF cookie settings."""

    @pytest.mark.parametrize(
        "csrf_settings",
        [
            {},
            {"CSRF_COOKIE_SECURE": True},
            {"CSRF_COOKIE_AGE": None},  # a session cookie: no expiry date
            {"CSRF_COOKIE_NAME": "xsrf", "CSRF_COOKIE_DOMAIN": "shop.example"},
            {"CSRF_COOKIE_HTTPONLY": True, "CSRF_COOKIE_SAMESITE": "Strict"},
        ],
    )
    def test_filled_form_is_the_cookie_of_the_members_page(self, api, csrf_settings):
        stub_page(api, "home", HOME, BUYER)
        with override_settings(**csrf_settings):
            page = logged_in_client().get("/")
            shell = shell_of("/")

        cookie = page.cookies[csrf_settings.get("CSRF_COOKIE_NAME", "csrftoken")]
        form = shell["X-Edge-Csrf-Cookie"]
        filled = form.replace("<!--mp:csrf-secret-->", cookie.value)
        filled = filled.replace("<!--mp:expires-->", cookie["expires"])
        assert filled == cookie.OutputString()
        assert ("<!--mp:expires-->" in form) == bool(cookie["expires"])


def anonymous_page(path: str):
    return Client().get(path)


class NoShellOfAnIncompletePageTest:
    def assert_the_anonymous_answer(self, shell_answer, anonymous):
        assert "X-Edge-Shell" not in shell_answer
        assert "X-Edge-Csrf-Cookie" not in shell_answer
        assert shell_answer.status_code == anonymous.status_code
        assert shell_answer.content == anonymous.content
        assert b"<!--mp:" not in shell_answer.content

    def test_experience_api_down(self, api):
        api.down("GET", "home")

        shell_answer, anonymous = shell_of("/"), anonymous_page("/")

        assert shell_answer.status_code == 503
        self.assert_the_anonymous_answer(shell_answer, anonymous)

    def test_experience_api_error(self, api):
        api.get("listings/5", {"error": "models_unavailable"}, status=503)

        shell_answer = shell_of("/listings/5/")

        assert shell_answer.status_code == 503
        self.assert_the_anonymous_answer(shell_answer, anonymous_page("/listings/5/"))

    def test_rate_limited(self, api):
        api.get("search", {"error": "rate_limited"}, status=429)

        shell_answer = shell_of("/search/?q=oak")

        assert shell_answer.status_code == 429
        self.assert_the_anonymous_answer(shell_answer, anonymous_page("/search/?q=oak"))

    def test_listing_not_found(self, api):
        api.get("listings/99", {"error": "not_found", "detail": "No such listing."}, status=404)

        shell_answer = shell_of("/listings/99/")

        assert shell_answer.status_code == 404
        assert 'href="/login/"' in shell_answer.content.decode()  # rendered for nobody
        self.assert_the_anonymous_answer(shell_answer, anonymous_page("/listings/99/"))

    def test_search_unavailable(self, api):
        api.get("search", {"error": "search_unavailable", "detail": "Down."}, status=503)

        shell_answer = shell_of("/search/?q=oak")

        assert shell_answer.status_code == 200
        assert shell_answer["Cache-Control"] == "no-store"
        assert shell_answer["X-Search-Unavailable"] == "1"
        self.assert_the_anonymous_answer(shell_answer, anonymous_page("/search/?q=oak"))
        # Both renders (the shell's, then the anonymous one) told the API they were for it.
        shell_calls = api.calls_to("GET", "search")[:2]
        assert [c.request.headers.get("X-Edge-Shell") for c in shell_calls] == ["1", "1"]


class NormalPagesUnchangedTest:
    @pytest.mark.parametrize("page", PAGES)
    def test_without_the_header_no_marker(self, api, page):
        path, api_path, body = PAGES[page]
        stub_page(api, api_path, body, BUYER)

        for response in (anonymous_page(path), logged_in_client().get(path)):
            assert response.status_code == 200
            assert "X-Edge-Shell" not in response
            assert b"<!--" not in response.content

    def test_the_member_page_still_has_its_own_tokens_and_cookie(self, api):
        stub_page(api, "listings/5", LISTING, BUYER)

        response = logged_in_client().get("/listings/5/")

        html = response.content.decode()
        assert re.search(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"', html)
        assert re.search(r'name="client_token" value="[0-9a-f]{32}"', html)
        assert response.cookies[settings.CSRF_COOKIE_NAME].value
        assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}

    @pytest.mark.parametrize("value", ["0", "true", ""])
    def test_another_header_value_is_no_shell(self, api, value):
        stub_page(api, "home", HOME)

        response = Client().get("/", headers={"X-Edge-Shell": value})

        assert "X-Edge-Shell" not in response
        assert response.content == anonymous_page("/").content

    def test_a_request_with_cookies_is_rendered_for_its_sender(self, api):
        # HAProxy sends a shell request without cookies; one with them is not a shell.
        stub_page(api, "home", HOME, BUYER)

        response = logged_in_client().get("/", headers=SHELL)

        assert "X-Edge-Shell" not in response
        assert 'current-username">o&#x27;brien&amp;&lt;x&gt;</a>' in response.content.decode()
        assert b"<!--mp:" not in response.content

    def test_head_is_no_shell(self, api):
        stub_page(api, "home", HOME)

        response = Client().head("/", headers=SHELL)

        assert response.status_code == 200 and "X-Edge-Shell" not in response


class OtherPagesIgnoreTheHeaderTest:
    @pytest.mark.parametrize("path", ["/login/", "/signup/", "/listings/new/", "/favourites/"])
    def test_page_answers_as_without_the_header(self, api, path):
        api.categories()

        response = Client().get(path, headers=SHELL)

        assert "X-Edge-Shell" not in response
        assert with_fixed_tokens(response.content.decode()) == with_fixed_tokens(
            Client().get(path).content.decode()
        )
        assert b"<!--mp:" not in response.content

    def test_a_profile_page_answers_as_without_the_header(self, api):
        api.get("users/9", {"user": BOB, "listings": cards((1, BOB)), "total": 1, "pages": 1})

        response = Client().get("/users/9/", headers=SHELL)

        assert response.status_code == 200 and "X-Edge-Shell" not in response
        assert response.content == Client().get("/users/9/").content
        assert api.calls_to("GET", "users/9")[0].request.headers.get("X-Edge-Shell") is None
