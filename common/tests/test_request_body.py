"""DrainRequestBodyMiddleware reads the unread rest of a body before the answer leaves."""

import io

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse

from mpcommon import request_body
from mpcommon.request_body import DrainRequestBodyMiddleware


class Wire(io.BytesIO):
    """wsgi.input: counts what was read off the connection."""


def request_with_body(size: int, after: bytes = b"") -> tuple[WSGIRequest, Wire]:
    wire = Wire(b"x" * size + after)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/listings",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(size),
        "wsgi.input": wire,
        "wsgi.url_scheme": "http",
    }
    return WSGIRequest(environ), wire


def answer_413_unread(request):
    return HttpResponse(status=413)


def test_an_early_answer_leaves_nothing_of_the_body_unread():
    request, wire = request_with_body(3_000_000)
    response = DrainRequestBodyMiddleware(answer_413_unread)(request)
    assert response.status_code == 413
    assert wire.tell() == 3_000_000


def test_a_partly_read_body_is_read_to_its_end():
    request, wire = request_with_body(200_000)

    def read_a_little(request):
        request.read(10)
        return HttpResponse(status=400)

    DrainRequestBodyMiddleware(read_a_little)(request)
    assert wire.tell() == 200_000


def test_a_body_the_view_read_is_not_read_again():
    request, wire = request_with_body(1000)

    def read_all(request):
        assert request.body == b"x" * 1000
        return HttpResponse()

    DrainRequestBodyMiddleware(read_all)(request)
    assert wire.tell() == 1000


def test_nothing_past_the_declared_length_is_read():
    # The connection already holds the next request after this body.
    request, wire = request_with_body(100, after=b"GET /next HTTP/1.1\r\n")
    DrainRequestBodyMiddleware(answer_413_unread)(request)
    assert wire.tell() == 100


def test_a_body_over_the_limit_is_left_alone(monkeypatch):
    monkeypatch.setattr(request_body, "DRAIN_LIMIT_BYTES", 1000)
    request, wire = request_with_body(5000)
    DrainRequestBodyMiddleware(answer_413_unread)(request)
    assert wire.tell() == 0


@pytest.mark.parametrize("length", ["", "abc"])
def test_no_or_bad_length_reads_nothing(length):
    request, wire = request_with_body(10)
    request.META["CONTENT_LENGTH"] = length
    DrainRequestBodyMiddleware(answer_413_unread)(request)
    assert wire.tell() == 0
