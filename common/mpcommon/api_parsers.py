"""The strict JSON body parser both JSON APIs read requests with.

DRF's ``JSONParser`` lets a few hostile bodies through to a 500 or an unbounded read:
``"[" * 100000`` exhausts the recursion limit of the decoder (RecursionError is not a
ValueError, so DRF does not turn it into a 400), and a body over Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` ends as a generic 400. This parser answers:

- a body over the limit: :class:`PayloadTooLarge` (413 ``payload_too_large``). The limit is
  ``settings.MAX_REQUEST_BODY_BYTES`` (default 256 KiB), or the view's ``max_body_bytes``;
  it is applied to the bytes actually read, so a lying or absent Content-Length cannot
  get around it. Set ``DATA_UPLOAD_MAX_MEMORY_SIZE`` to the largest limit too: DRF reads
  JSON bodies through ``request.body`` (Django checks the declared length before reading;
  map its ``RequestDataTooBig`` to 413 as well).
- nesting deeper than :data:`MAX_DEPTH` arrays/objects, text that is not valid in the
  request's encoding, ``NaN``/``Infinity`` (not JSON) and any other invalid JSON:
  DRF's ``ParseError`` (400; each service picks its error code).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from django.conf import settings
from rest_framework import exceptions, parsers

from mpcommon import errors

DEFAULT_MAX_BODY_BYTES = 256 * 1024
# Our deepest legitimate body is 3 levels ({"recommendations": {"1": [2, 3]}}).
MAX_DEPTH = 32

# A JSON string (to its closing quote, or to the end of an unterminated one: possessive,
# so scanning stays linear), or a run of characters that are neither brackets nor quotes.
_NOT_A_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[^\[\]{}"]+', re.DOTALL)
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body is too large."
    default_code = errors.PAYLOAD_TOO_LARGE


def body_limit_for(view) -> int:
    """The body size limit of ``view``: its ``max_body_bytes``, else the settings' limit."""
    limit = getattr(view, "max_body_bytes", None)
    if limit is not None:
        return limit
    return getattr(settings, "MAX_REQUEST_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON ``text`` (0 for a scalar).

    Brackets inside strings do not count. Linear time and no recursion, so it can
    run on any input before the (recursive) decoder does; unbalanced brackets (invalid
    JSON, refused by the decoder anyway) give a meaningless but finite number.
    """
    brackets = _NOT_A_BRACKET.sub("", text)
    # The running sum of +1/-1 steps, computed in C (no Python-level loop).
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def nested_deeper_than(text: str, max_depth: int) -> bool:
    # Fast path for nearly every body: too few opening brackets to nest that deep.
    if text.count("[") + text.count("{") <= max_depth:
        return False
    return nesting_depth(text) > max_depth


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(text: str, *, max_depth: int = MAX_DEPTH):
    """``json.loads`` refusing NaN/Infinity and nesting deeper than ``max_depth``.

    Raises ``ValueError`` (``json.JSONDecodeError`` included) for anything refused.
    """
    if nested_deeper_than(text, max_depth):
        raise ValueError(f"nesting deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:  # belt and braces: the depth check should prevent it
        raise ValueError("nesting too deep") from exc


class StrictJSONParser(parsers.JSONParser):
    """DRF ``DEFAULT_PARSER_CLASSES`` entry: size limit (413), depth limit, strict JSON."""

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
            raise exceptions.ParseError(f"Body is not valid {encoding} text.") from exc
        try:
            return loads_strict(text)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
