"""A JSON parser that enforces the body size limit while reading.

DRF reads the request stream itself, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE
check, so the limit is applied here on the bytes actually read (a lying or absent
Content-Length cannot get around it). Views may raise the limit via ``max_body_bytes``.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from core.errors import PayloadTooLarge


def body_limit_for(view) -> int:
    limit = getattr(view, "max_body_bytes", None)
    return limit if limit is not None else settings.MAX_REQUEST_BODY_BYTES


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = body_limit_for(parser_context.get("view"))
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"Body is not valid {encoding} text.") from exc
        try:
            # json.loads from DRF's wrapper refuses NaN and Infinity (not JSON).
            return json.loads(text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - nesting too deep.") from exc
