"""haproxy/haproxy.cfg for the account pages (issue 13), as it behaves: a private HAProxy
on free loopback ports in front of stub web and experience-API servers (the harness of
test_haproxy_media; no running stack needed, nothing of it touched).

- The password pages' POSTs (change, reset request, reset token pages) are rate limited
  per client address like log in and sign up; their GETs are not.
- The new pages are never looked up in or stored by the edge cache ("pages").
- Writes that change no anonymous page (passwords, saved searches, favourites) do not
  purge it; a profile change (/account/) does.
"""

from __future__ import annotations

import socket
from urllib.parse import unquote

import pytest
import requests
from test_haproxy_media import haproxy_before_stubs

from testsupport import wait_until

RATE_LIMIT = 5


@pytest.fixture(scope="module")
def private_edge(tmp_path_factory):
    """A private HAProxy for this module. Edge-cache periods are long here (30 s), so a
    stored copy stays current for the whole of a test."""
    folder = tmp_path_factory.mktemp("haproxy")
    sock_path = folder / "haproxy.sock"  # where private_haproxy puts the admin socket
    settings = {
        "RATE_LIMIT_AUTH": str(RATE_LIMIT),
        "EDGE_CACHE_SECONDS": "30",
        "EDGE_CACHE_MAX_AGE": "120",
    }
    with haproxy_before_stubs(folder, **settings) as (base, web, exp):
        yield base, web, exp, sock_path


def _runtime_command(sock_path, command: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as runtime:
        runtime.connect(str(sock_path))
        runtime.sendall(command.encode() + b"\n")
        return b"".join(iter(lambda: runtime.recv(4096), b"")).decode()


@pytest.fixture
def edge(private_edge):
    """The module's HAProxy with an empty rate-limit table (its runtime API), so every
    test starts with this address's whole budget."""
    base, web, exp, sock_path = private_edge
    _runtime_command(sock_path, "clear table public")
    return base, web, exp


def _reached(stub, path: str) -> int:
    """How many requests for ``path`` (decoded, as the web tier sees it) reached ``stub``."""
    return sum(1 for seen in stub.seen if unquote(seen[1]) == unquote(path))


PASSWORD_PAGES = [
    "/account/password/",
    "/password-reset/",
    "/password-reset/MQ.abc123-0123456789abcdef/",
    # The same pages as the web tier decodes them, and without their slash.
    "/password-reset%2F",
    "/account/password",
    "/password-reset",
]


class PasswordPagesRateLimitTest:
    @pytest.mark.parametrize("path", PASSWORD_PAGES)
    def test_posts_limited_per_address_after_the_burst(self, edge, path):
        base, web, _ = edge
        before = _reached(web, path)
        answers = [
            requests.post(base + path, data={"email": "a@example.com"}, timeout=5)
            for _ in range(RATE_LIMIT + 1)
        ]
        assert [a.status_code for a in answers] == [200] * RATE_LIMIT + [429]
        assert answers[-1].headers["Retry-After"] == "10"
        assert "Too many attempts" in answers[-1].text
        assert _reached(web, path) - before == RATE_LIMIT  # the refused one reached nobody

    def test_password_page_posts_share_the_login_budget(self, edge):
        base, _, _ = edge
        for _ in range(RATE_LIMIT):
            assert requests.post(base + "/login/", data={}, timeout=5).status_code == 200
        assert requests.post(base + "/password-reset/", data={}, timeout=5).status_code == 429

    def test_gets_of_the_password_pages_are_not_counted(self, edge):
        base, _, _ = edge
        for _ in range(RATE_LIMIT * 3):
            assert requests.get(base + "/password-reset/", timeout=5).status_code == 200
            assert requests.get(base + "/account/password/", timeout=5).status_code == 200
        assert requests.post(base + "/password-reset/", data={}, timeout=5).status_code == 200

    @pytest.mark.parametrize("path", ["/account/", "/saved-searches/", "/favourites/"])
    def test_other_account_pages_are_not_limited(self, edge, path):
        base, _, _ = edge
        answers = [requests.post(base + path, data={}, timeout=5) for _ in range(RATE_LIMIT * 2)]
        assert {a.status_code for a in answers} == {200}


NEW_PAGES = [
    "/account/",
    "/account/password/",
    "/password-reset/",
    "/password-reset/MQ.abc123-0123456789abcdef/",
    "/favourites/",
    "/saved-searches/",
]


class EdgeCacheTest:
    @pytest.mark.parametrize("path", NEW_PAGES)
    def test_new_pages_never_come_from_the_edge_cache(self, edge, path):
        base, web, _ = edge
        before = _reached(web, path)
        answers = [requests.get(base + path, timeout=5) for _ in range(3)]
        assert {a.headers["X-Cache-Status"] for a in answers} == {"BYPASS"}
        assert _reached(web, path) - before == 3  # each one rendered by the web tier

    def _warm(self, base: str) -> None:
        """/search/ stored in the pages cache and served from it."""
        wait_until(
            lambda: requests.get(f"{base}/search/", timeout=5).headers["X-Cache-Status"] == "HIT",
            10,
            interval=0.05,
            message="/search/ served from the edge cache",
        )

    @pytest.mark.parametrize(
        "path",
        [
            "/account/password/",
            "/password-reset/",
            "/password-reset/MQ.abc123-0123456789abcdef/",
            "/listings/5/favourite/",
            "/saved-searches/",
            "/saved-searches/3/delete/",
            "/saved-searches/3/update/",
        ],
    )
    def test_writes_that_change_no_public_page_keep_the_cache(self, edge, path):
        base, _, _ = edge
        self._warm(base)
        assert requests.post(base + path, data={}, timeout=5).status_code == 200
        assert requests.get(f"{base}/search/", timeout=5).headers["X-Cache-Status"] == "HIT"

    @pytest.mark.parametrize("path", ["/account/", "/listings/5/edit/"])
    def test_writes_that_change_public_pages_purge_it(self, edge, path):
        # A display name or bio shows on the profile and listing pages.
        base, _, _ = edge
        self._warm(base)
        assert requests.post(base + path, data={}, timeout=5).status_code == 200
        assert requests.get(f"{base}/search/", timeout=5).headers["X-Cache-Status"] == "MISS"
