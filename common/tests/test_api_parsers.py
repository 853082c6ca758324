"""The strict JSON body parser both JSON APIs read requests with."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from rest_framework.exceptions import ParseError

from mpcommon.api_parsers import (
    MAX_DEPTH,
    PayloadTooLarge,
    StrictJSONParser,
    body_limit_for,
    loads_strict,
    nesting_depth,
)


def parse(body: bytes, view=None, encoding="utf-8"):
    context = {"view": view, "encoding": encoding}
    return StrictJSONParser().parse(io.BytesIO(body), "application/json", context)


class View:
    max_body_bytes = 10


class NestingDepthTest:
    @pytest.mark.parametrize(
        ("text", "depth"),
        [
            ("1", 0),
            ('"[[["', 0),
            ("[]", 1),
            ('{"a": [1, {"b": []}]}', 4),
            ('[["[[[[", "\\"[["]]', 2),
            ('{"a": "\\\\"}', 1),
        ],
    )
    def test_brackets_outside_strings_counted(self, text, depth):
        assert nesting_depth(text) == depth

    @pytest.mark.parametrize(
        "text",
        [
            '"' + '\\"' * 200_000,  # an unterminated string full of escaped quotes
            '"\\' + '\\"' * 200_000,
            "[" * 200_000,
            "[]" * 200_000,
        ],
    )
    # No stopwatch (a loaded machine makes any tight bound a flake): a linear scan of
    # these 400,000 characters takes milliseconds, a quadratic one hours, so the per-test
    # timeout alone tells them apart with a margin of thousands.
    @pytest.mark.timeout(60)
    def test_hostile_text_scanned_in_linear_time(self, text):
        assert nesting_depth(text) >= 0


class LoadsStrictTest:
    def test_nesting_at_the_limit_accepted(self):
        text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
        assert loads_strict(text) is not None

    @pytest.mark.parametrize("text", ["[" * (MAX_DEPTH + 1), "[" * 100_000, '{"a":' * 100_000])
    def test_nesting_over_the_limit_refused(self, text):
        with pytest.raises(ValueError, match="nesting deeper"):
            loads_strict(text)

    @pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
    def test_non_json_constants_refused(self, text):
        with pytest.raises(ValueError, match="not valid JSON"):
            loads_strict(text)

    def test_valid_json_parsed(self):
        assert loads_strict('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


class StrictJSONParserTest:
    def test_body_over_the_views_limit_is_payload_too_large(self):
        with pytest.raises(PayloadTooLarge) as caught:
            parse(b'{"a": "0123456789"}', View())
        assert caught.value.status_code == 413
        assert caught.value.get_codes() == "payload_too_large"

    def test_body_at_the_views_limit_parsed(self):
        assert parse(b'{"a": 123}', View()) == {"a": 123}

    @override_settings(MAX_REQUEST_BODY_BYTES=5)
    def test_settings_limit_applies_without_a_view_limit(self):
        assert body_limit_for(object()) == 5
        with pytest.raises(PayloadTooLarge):
            parse(b"[1, 2, 3]")

    def test_default_limit_is_256_kib(self):
        assert body_limit_for(None) == 256 * 1024

    @pytest.mark.parametrize(
        "body",
        [b"[" * 100_000, b"{", b"[NaN]", b'{"a": 1} x', b"\xff\xfe", b"1" * 5000],
    )
    def test_hostile_or_invalid_body_is_parse_error(self, body):
        with pytest.raises(ParseError):
            parse(body)

    def test_unknown_encoding_is_parse_error(self):
        with pytest.raises(ParseError):
            parse(b"{}", encoding="no-such-codec")
