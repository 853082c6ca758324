"""GET/HEAD /media/<key> with models-api stubbed over HTTP: the object's bytes with the
headers that let HAProxy and browsers keep it for a year, 304s and malformed keys
without a models-api call, models-api's 404 passed through."""

from __future__ import annotations

import hashlib

import pytest
import requests
import responses
from django.test import Client

from conftest import MODELS, TOKEN, calls_to
from mpcommon import photo_rules
from testsupport.images import png

IMAGE = png(32, 24)
SHA = hashlib.sha256(IMAGE).hexdigest()
KEY = f"{SHA}.png"
URL = photo_rules.media_url(KEY)  # /media/<sha256>.png: the path HAProxy forwards
UPSTREAM = f"{MODELS}/media/{KEY}"


@pytest.fixture
def stored(models):
    """models-api holds the object of KEY."""
    models.add(responses.GET, UPSTREAM, body=IMAGE, content_type="image/png")
    return models


@pytest.fixture
def client():
    # A plain Django client (the view is not DRF); cookies and credentials reach it only
    # when a test sends them (HAProxy strips both).
    return Client()


def assert_immutable_headers(response) -> None:
    assert response["ETag"] == f'"{SHA}"'
    assert response["Cache-Control"] == photo_rules.MEDIA_CACHE_CONTROL
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"


class MediaTest:
    def test_get_answers_the_bytes_with_every_header(self, client, stored):
        response = client.get(URL)
        assert response.status_code == 200
        assert response.content == IMAGE
        assert response["Content-Type"] == "image/png"
        assert response["Content-Length"] == str(len(IMAGE))
        assert_immutable_headers(response)
        (call,) = calls_to(stored, "GET", f"/media/{KEY}")
        assert call.request.headers["X-Service-Token"] == "test-service-token"

    def test_nothing_varies_by_cookie_or_sets_one(self, client, stored):
        client.cookies["sessionid"] = "abc"
        response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert not response.has_header("Vary")
        assert not response.cookies
        # No authenticator was resolved: the bytes are the same for everyone.
        assert calls_to(stored, "POST", "/authenticators/resolve") == []

    def test_head_answers_the_headers_of_a_get_without_the_body(self, client, stored):
        response = client.head(URL)
        assert response.status_code == 200
        assert response.content == b""
        assert response["Content-Type"] == "image/png"
        assert response["Content-Length"] == str(len(IMAGE))
        assert_immutable_headers(response)

    @pytest.mark.parametrize(
        "if_none_match", [f'"{SHA}"', f'W/"{SHA}"', f'"{"0" * 64}", "{SHA}"', "*"]
    )
    def test_matching_if_none_match_is_304_without_asking_models_api(
        self, client, models, if_none_match
    ):
        response = client.get(URL, HTTP_IF_NONE_MATCH=if_none_match)
        assert response.status_code == 304
        assert response.content == b""
        assert_immutable_headers(response)
        assert len(models.calls) == 0

    def test_other_if_none_match_gets_the_bytes(self, client, stored):
        response = client.get(URL, HTTP_IF_NONE_MATCH=f'"{"0" * 64}"')
        assert (response.status_code, response.content) == (200, IMAGE)

    @pytest.mark.parametrize(
        "key",
        [
            SHA,  # no extension
            f"{SHA}.gif",  # not a stored format
            f"{SHA.upper()}.png",  # keys are lowercase hex
            f"{SHA[:-1]}.png",  # 63 digits
            f"{SHA}.png%0A",  # a newline after the key
            "..%2F..%2Fetc%2Fpasswd",
            "",
        ],
    )
    def test_malformed_key_is_404_without_asking_models_api(self, client, models, key):
        response = client.get(f"/media/{key}")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert len(models.calls) == 0

    def test_deeper_path_is_404(self, client, models):
        assert client.get(f"/media/x/{KEY}").status_code == 404
        assert len(models.calls) == 0

    def test_unknown_key_is_404_not_kept_anywhere(self, client, models):
        models.add(responses.GET, UPSTREAM, status=404, json={"error": "not_found"})
        response = client.get(URL)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert response["Cache-Control"] == "no-store"

    def test_models_api_down_is_503_json(self, client, models):
        models.add(responses.GET, UPSTREAM, body=requests.ConnectionError())
        response = client.get(URL)
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"
        assert response["Cache-Control"] == "no-store"

    def test_content_type_is_models_apis_when_an_image_type(self, client, models):
        models.add(
            responses.GET, f"{MODELS}/media/{SHA}.webp", body=b"RIFF", content_type="image/webp"
        )
        assert client.get(f"/media/{SHA}.webp")["Content-Type"] == "image/webp"

    def test_content_type_other_than_an_image_is_the_keys_own(self, client, models):
        models.add(responses.GET, UPSTREAM, body=IMAGE, content_type="text/html")
        assert client.get(URL)["Content-Type"] == "image/png"

    @pytest.mark.parametrize("method", ["post", "put", "delete"])
    def test_writes_are_405_json(self, client, models, method):
        response = getattr(client, method)(URL)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert response.json()["error"] == "method_not_allowed"
        assert len(models.calls) == 0
