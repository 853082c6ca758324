"""The experience API client: headers it sends and how answers become typed errors."""

from __future__ import annotations

import socket
import threading
from types import SimpleNamespace

import pytest
import requests
import urllib3
from django.test import override_settings

from clients.experience_api import (
    ExperienceApi,
    ExperienceApiUnavailable,
    InvalidCredentials,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    SearchUnavailable,
    ValidationFailed,
    get_session,
)
from conftest import TOKEN, api_url
from mpcommon.request_id import reset_request_id, set_request_id
from testsupport import wait_until


class ExperienceApiHeadersTest:
    def test_forwards_bearer_request_id_and_forwarded_for(self, api):
        api.get("me", {"id": 1})
        token = set_request_id("req-123")
        try:
            ExperienceApi(authenticator=TOKEN, forwarded_for="203.0.113.9, 127.0.0.1").me()
        finally:
            reset_request_id(token)

        headers = api.calls_to("GET", "me")[0].request.headers
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["X-Request-ID"] == "req-123"
        assert headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"

    def test_sends_the_session_headers_and_the_query(self, api):
        api.get("search", {"results": []})

        ExperienceApi().search({"q": "oak desk", "page": 2, "category": ""})

        request = api.calls_to("GET", "search")[0].request
        assert request.headers["Accept"] == "application/json"
        assert request.headers["User-Agent"] == "web-frontend"
        assert request.url.endswith("/search?q=oak+desk&page=2")

    def test_json_body_is_sent_as_json(self, api):
        api.post("auth/login", {"authenticator": TOKEN, "expires_at": None, "user": {}})

        ExperienceApi().login(username="ada", password="pa ss")

        request = api.calls_to("POST", "auth/login")[0].request
        assert request.headers["Content-Type"] == "application/json"
        assert api.json_sent("POST", "auth/login") == [{"username": "ada", "password": "pa ss"}]

    def test_public_calls_without_auth_send_no_bearer(self, api):
        api.get("categories", {"categories": []})

        ExperienceApi(authenticator=TOKEN).categories()

        assert "Authorization" not in api.calls_to("GET", "categories")[0].request.headers

    def test_required_auth_without_authenticator_raises_before_calling(self, api):
        with pytest.raises(NotAuthenticated):
            ExperienceApi().me()

        assert len(api.mock.calls) == 0

    def test_session_never_stores_cookies_between_users(self, api):
        api.get("categories", {"categories": []}, headers={"Set-Cookie": "leak=1; Path=/"})

        ExperienceApi().categories()

        assert len(get_session().cookies) == 0


class ExperienceApiErrorsTest:
    @pytest.mark.parametrize(
        ("status", "body", "error"),
        [
            (404, {"error": "not_found"}, NotFound),
            (403, {"error": "permission_denied"}, PermissionDenied),
            (429, {"error": "rate_limited"}, RateLimited),
            (503, {"error": "search_unavailable"}, SearchUnavailable),
            (503, {"error": "models_unavailable"}, ExperienceApiUnavailable),
            (500, {"error": "server_error"}, ExperienceApiUnavailable),
            (502, None, ExperienceApiUnavailable),
        ],
    )
    def test_status_maps_to_typed_error(self, api, status, body, error):
        if body is None:
            api.mock.add("GET", api_url("search"), status=status, body="<html>bad gateway")
        else:
            api.get("search", body, status=status)

        with pytest.raises(error):
            ExperienceApi().search({"q": "x"})

    def test_validation_failed_carries_fields(self, api):
        api.post(
            "auth/signup",
            {"error": "validation_failed", "detail": "bad", "fields": {"email": ["Bad."]}},
            status=400,
        )

        with pytest.raises(ValidationFailed) as caught:
            ExperienceApi().signup(username="a", email="b", password="c")

        assert caught.value.fields == {"email": ["Bad."]}

    def test_login_401_is_invalid_credentials_not_logout(self, api):
        rejected = []
        api.post("auth/login", {"error": "invalid_credentials"}, status=401)

        with pytest.raises(InvalidCredentials):
            ExperienceApi(
                authenticator=TOKEN, on_rejected_authenticator=lambda: rejected.append(1)
            ).login(username="a", password="b")

        assert rejected == []

    def test_required_401_reports_rejected_authenticator(self, api):
        rejected = []
        api.me_expired()

        with pytest.raises(NotAuthenticated):
            ExperienceApi(
                authenticator=TOKEN, on_rejected_authenticator=lambda: rejected.append(1)
            ).me()

        assert rejected == [1]

    def test_connection_refused_and_timeout_are_unavailable(self, api):
        api.down("GET", "home")
        api.down("GET", "categories", requests.ReadTimeout("slow"))

        with pytest.raises(ExperienceApiUnavailable):
            ExperienceApi().home()
        with pytest.raises(ExperienceApiUnavailable):
            ExperienceApi().categories()

    def test_success_body_not_json_is_unavailable(self, api):
        api.mock.add("GET", api_url("home"), status=200, body="oops")

        with pytest.raises(ExperienceApiUnavailable):
            ExperienceApi().home()


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers (a hung API)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept_forever():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.getsockname()[1]}", accepted=accepted)
    stop.set()
    thread.join(1)
    for conn in accepted:
        conn.close()
    server.close()


def closed_port_url() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


class ExperienceApiRealNetworkTest:
    """Without `responses`: a real hung socket and a real closed port."""

    def test_hung_api_gives_503_page_after_the_read_timeout(self, client, silent_server):
        with override_settings(
            EXPERIENCE_API_URL=silent_server.url, EXPERIENCE_API_READ_TIMEOUT=0.3
        ):
            response = client.get("/")

        assert response.status_code == 503
        assert b"Traceback" not in response.content
        # It did connect and wait for an answer that never came (a read timeout, not a
        # refused connection).
        wait_until(lambda: silent_server.accepted, 30, message="the hung server's connection")

    def test_a_refused_connection_is_tried_once_more_then_unavailable(self, monkeypatch):
        # The adapter's retry rule (one more connect for GET) still applies.
        attempts = []
        real_new_conn = urllib3.connection.HTTPConnection._new_conn

        def counting_new_conn(self):
            attempts.append(1)
            return real_new_conn(self)

        monkeypatch.setattr(urllib3.connection.HTTPConnection, "_new_conn", counting_new_conn)
        with (
            override_settings(EXPERIENCE_API_URL=closed_port_url()),
            pytest.raises(ExperienceApiUnavailable),
        ):
            ExperienceApi().categories()

        assert len(attempts) == 2

    def test_api_down_gives_503_page(self, client):
        with override_settings(EXPERIENCE_API_URL=closed_port_url()):
            response = client.get("/listings/1/")

        assert response.status_code == 503
