"""haproxy/haproxy.cfg as it behaves: a private HAProxy on free loopback ports in front of
stub web and experience-API servers (no running stack needed, nothing of it touched).

Media: GET/HEAD /media/ go to the experience API through the cache "media" (a 200 is
stored, a 404 is not, nothing of the pages cache or its purge is involved), other
methods are 405, cookies and credentials are dropped. Uploads: a multipart POST of
photo_rules.MAX_UPLOAD_BODY_BYTES reaches both the web tier and the experience API
whole. Rate limits: media GETs are not counted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from mpcommon import photo_rules
from testsupport.haproxy import private_haproxy

PHOTO = b"\x89PNG fake photo bytes " * 1000
PHOTO_KEY = hashlib.sha256(PHOTO).hexdigest() + ".png"
LARGE = os.urandom(3 * 1024 * 1024)  # over the cache's 2 MB object limit
LARGE_KEY = hashlib.sha256(LARGE).hexdigest() + ".jpg"
MISSING_KEY = "0" * 64 + ".jpg"


class Stub(ThreadingHTTPServer):
    """A backend that records what reached it: (method, path, headers, body length)."""

    daemon_threads = True

    def __init__(self, name: str):
        self.name = name
        self.seen: list[tuple[str, str, dict, int]] = []
        super().__init__(("127.0.0.1", 0), StubHandler)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def requests_to(self, prefix: str) -> list[tuple[str, str, dict, int]]:
        return [seen for seen in self.seen if seen[1].startswith(prefix)]

    def served(self) -> int:
        """Requests that reached it, HAProxy's health checks (``/healthz``, at any
        moment) aside."""
        return sum(1 for seen in self.seen if seen[1] != "/healthz")


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _body_length(self) -> int:
        remaining = int(self.headers.get("Content-Length") or 0)
        total = 0
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            total += len(chunk)
            remaining -= len(chunk)
        return total

    def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        length = self._body_length()
        self.server.seen.append((self.command, self.path, dict(self.headers), length))
        if self.path == "/healthz":
            return self._answer(200, b"ok", {"Content-Type": "text/plain"})
        objects = {f"/media/{PHOTO_KEY}": PHOTO, f"/media/{LARGE_KEY}": LARGE}
        if self.path in objects:
            data = objects[self.path]
            etag = '"' + hashlib.sha256(data).hexdigest() + '"'
            return self._answer(
                200,
                data,
                {
                    "Content-Type": "image/png",
                    "ETag": etag,
                    "Cache-Control": photo_rules.MEDIA_CACHE_CONTROL,
                    "Vary": "Accept-Encoding",
                    "Content-Security-Policy": "default-src 'none'",
                },
            )
        if self.path.startswith("/media/"):
            missing = b'{"error": "not_found"}'
            return self._answer(404, missing, {"Content-Type": "application/json"})
        body = f"{self.server.name} {self.command} {self.path} {length}".encode()
        return self._answer(200, body, {"Content-Type": "text/plain"})

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@contextlib.contextmanager
def haproxy_before_stubs(folder: Path, **settings: str):
    """The repository's haproxy.cfg in a private HAProxy (testsupport.private_haproxy) in
    front of a stub web tier and a stub experience API; ``settings`` are more of its
    environment. Yields ``(base URL, web stub, exp stub)`` once both stubs answer
    through it; stops everything afterwards."""
    web, exp = Stub("web"), Stub("exp")
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (web, exp)]
    for thread in threads:
        thread.start()
    try:
        with private_haproxy(
            folder,
            # Both backends answering through it (a stub's own 200, not HAProxy's 503).
            ready_paths=("/", "/api/v1/ready"),
            WEB1_ADDR=web.address,
            WEB2_ADDR=web.address,
            EXP_ADDR=exp.address,
            **settings,
        ) as haproxy:
            yield haproxy.url, web, exp
    finally:
        for server in (web, exp):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """A private HAProxy in front of stub backends (``private_haproxy``)."""
    folder = tmp_path_factory.mktemp("haproxy")
    with haproxy_before_stubs(
        folder, SERVICE_TOKEN="static-test-token", RATE_LIMIT_AUTH="5"
    ) as edge:
        yield edge


class MediaRouteTest:
    def test_media_served_by_the_experience_api_then_from_the_cache(self, edge):
        base, web, exp = edge
        first = requests.get(f"{base}/media/{PHOTO_KEY}", cookies={"auth": "secret"}, timeout=5)
        second = requests.get(f"{base}/media/{PHOTO_KEY}", timeout=5)
        assert first.status_code == second.status_code == 200
        assert first.content == second.content == PHOTO
        assert (first.headers["X-Cache-Status"], second.headers["X-Cache-Status"]) == (
            "MISS",
            "HIT",
        )
        assert second.headers["Cache-Control"] == photo_rules.MEDIA_CACHE_CONTROL
        assert second.headers["Content-Security-Policy"] == "default-src 'none'"
        assert len(exp.requests_to(f"/media/{PHOTO_KEY}")) == 1  # the hit never reached it
        assert web.requests_to("/media/") == []
        _, _, headers, _ = exp.requests_to(f"/media/{PHOTO_KEY}")[0]
        assert "Cookie" not in headers and "Authorization" not in headers

    def test_conditional_get_answered_304_from_the_cache(self, edge):
        base, _, exp = edge
        requests.get(f"{base}/media/{PHOTO_KEY}", timeout=5)
        etag = '"' + hashlib.sha256(PHOTO).hexdigest() + '"'
        again = requests.get(
            f"{base}/media/{PHOTO_KEY}", headers={"If-None-Match": etag}, timeout=5
        )
        assert again.status_code == 304
        assert len(exp.requests_to(f"/media/{PHOTO_KEY}")) == 1

    def test_head_is_allowed(self, edge):
        base, _, _ = edge
        response = requests.head(f"{base}/media/{PHOTO_KEY}", timeout=5)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/png"

    def test_not_found_is_not_cached(self, edge):
        base, _, exp = edge
        for _ in range(2):
            response = requests.get(f"{base}/media/{MISSING_KEY}", timeout=5)
            assert response.status_code == 404
            assert response.headers["X-Cache-Status"] == "MISS"
        assert len(exp.requests_to(f"/media/{MISSING_KEY}")) == 2

    def test_object_over_two_megabytes_served_not_stored(self, edge):
        base, _, exp = edge
        for _ in range(2):
            response = requests.get(f"{base}/media/{LARGE_KEY}", timeout=10)
            assert response.status_code == 200 and response.content == LARGE
        assert len(exp.requests_to(f"/media/{LARGE_KEY}")) == 2

    @pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
    def test_other_methods_are_405_and_reach_nobody(self, edge, method):
        base, web, exp = edge
        before = web.served(), exp.served()
        response = requests.request(method, f"{base}/media/{PHOTO_KEY}", data=b"x", timeout=5)
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, HEAD"
        assert response.json()["error"] == "method_not_allowed"
        assert (web.served(), exp.served()) == before

    def test_media_does_not_purge_the_pages_cache(self, edge):
        base, _, _ = edge
        requests.get(f"{base}/search/", timeout=5)  # stored in the pages cache
        assert requests.get(f"{base}/search/", timeout=5).headers["X-Cache-Status"] == "HIT"
        requests.post(f"{base}/media/{PHOTO_KEY}", timeout=5)  # 405: not a write
        requests.get(f"{base}/media/{PHOTO_KEY}", timeout=5)
        assert requests.get(f"{base}/search/", timeout=5).headers["X-Cache-Status"] == "HIT"

    def test_media_gets_are_not_rate_limited(self, edge):
        base, _, _ = edge
        answers = [requests.get(f"{base}/media/{PHOTO_KEY}", timeout=5) for _ in range(30)]
        assert {answer.status_code for answer in answers} == {200}  # RATE_LIMIT_AUTH is 5
        login = requests.post(f"{base}/login/", data={"username": "x"}, timeout=5)
        assert login.status_code == 200  # the media GETs were not counted


class UploadTest:
    @pytest.mark.parametrize(
        ("path", "backend"), [("/listings/new/", "web"), ("/api/v1/listings", "exp")]
    )
    def test_multipart_post_of_the_upload_limit_passes_whole(self, edge, path, backend):
        base, web, exp = edge
        boundary = "----static-test-boundary"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        filler = photo_rules.MAX_UPLOAD_BODY_BYTES - len(head) - len(tail)
        body = head + b"\0" * filler + tail
        assert len(body) == photo_rules.MAX_UPLOAD_BODY_BYTES
        response = requests.post(
            base + path,
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=60,
        )
        assert response.status_code == 200
        stub = {"web": web, "exp": exp}[backend]
        method, _, _, length = stub.requests_to(path)[-1]
        assert (method, length) == ("POST", photo_rules.MAX_UPLOAD_BODY_BYTES)
