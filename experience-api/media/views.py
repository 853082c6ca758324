"""``GET``/``HEAD /media/<key>``: stored photos and thumbnails, public and immutable.

HAProxy routes ``/media/`` here (GET and HEAD only, without cookies or credentials)
through its ``media`` cache; this view fetches the object from models-api
(``GET /api/v1/media/<key>``, service token) and answers it with the headers that let
every cache keep it for a year (docs/selling-and-buying.md, "Media through HAProxy"):

- a key is the SHA-256 of the object's bytes plus its extension
  (``photo_rules.MEDIA_KEY_RE``), so its content never changes: the ETag is that hash,
  and a matching ``If-None-Match`` is a 304 without asking models-api at all;
- a malformed key is a 404 without asking models-api either;
- ``nosniff`` and ``default-src 'none'``: the bytes are only ever an image, never a
  document that could run anything in our origin.

A plain Django view, not DRF: no authentication, no session, no content negotiation,
nothing that reads cookies (so no ``Vary: Cookie``) and nothing but one models-api call.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import parse_etags

from clients import models_api
from mpcommon import errors as envelope
from mpcommon import photo_rules
from mpcommon.errors import error_body

logger = logging.getLogger(__name__)

IMAGE_CONTENT_TYPES = frozenset(content_type for content_type, _ in photo_rules.FORMATS.values())
CONTENT_SECURITY_POLICY = "default-src 'none'"


def etag_of(key: str) -> str:
    """The strong ETag of an object: the SHA-256 its key is named by, quoted."""
    return f'"{key.partition(".")[0]}"'


def if_none_match_matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, RFC 9110)."""
    tags = parse_etags(header)
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


def content_type_for(key: str, upstream: str) -> str:
    """models-api's content type when it is one of the image types we store; else the
    type of the key's extension (only images are ever served from here)."""
    declared = upstream.split(";")[0].strip().lower()
    if declared in IMAGE_CONTENT_TYPES:
        return declared
    extension = key.rpartition(".")[2]
    return photo_rules.CONTENT_TYPES_BY_EXTENSION[extension]


def _immutable_headers(response: HttpResponse, key: str) -> HttpResponse:
    response["ETag"] = etag_of(key)
    response["Cache-Control"] = photo_rules.MEDIA_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _error(status: int, code: str, detail: str) -> JsonResponse:
    response = JsonResponse(error_body(code, detail), status=status)
    # A 404 may be an object that is still being stored, a 503 a passing outage: neither
    # may be kept by a browser (HAProxy stores only 200s anyway).
    response["Cache-Control"] = "no-store"
    return response


def media_object(request: HttpRequest, key: str) -> HttpResponse:
    """The object named ``key``: 200 bytes, 304, 404 (malformed or unknown key), 503."""
    if request.method not in ("GET", "HEAD"):
        response = _error(405, envelope.METHOD_NOT_ALLOWED, "Media are read-only.")
        response["Allow"] = "GET, HEAD"
        return response
    if not photo_rules.MEDIA_KEY_RE.fullmatch(key):
        return _error(404, envelope.NOT_FOUND, "Not found.")
    if if_none_match_matches(request.headers.get("If-None-Match", ""), etag_of(key)):
        return _immutable_headers(HttpResponse(status=304), key)
    try:
        content, upstream_type = models_api.get_client().get_media(key)
    except models_api.NotFound:
        return _error(404, envelope.NOT_FOUND, "Not found.")
    except models_api.ModelsApiError as exc:
        if not isinstance(exc, models_api.ModelsApiUnavailable):
            logger.error("models-api media call refused", extra={"status": exc.status})
        return _error(
            503, envelope.MODELS_API_UNAVAILABLE, models_api.ModelsApiUnavailable.default_detail
        )
    body = b"" if request.method == "HEAD" else content
    response = HttpResponse(body, content_type=content_type_for(key, upstream_type))
    response["Content-Length"] = str(len(content))  # HEAD: the length a GET would have
    return _immutable_headers(response, key)
