"""The JSON log formatter: one JSON object per line with the request ID and extras."""

import json
import logging
import sys
from decimal import Decimal

from mpcommon.logging import JSONFormatter, RequestIDFilter
from mpcommon.request_id import reset_request_id, set_request_id


def record(message="hello %s", args=("world",), **extra):
    rec = logging.LogRecord("access", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    RequestIDFilter().filter(rec)
    return rec


def test_one_json_line_with_request_id_and_extras():
    token = set_request_id("req-7")
    try:
        line = JSONFormatter(service="web").format(
            record(path="/caf\u00e9", status=200, duration_ms=1.5, price=Decimal("2.50"))
        )
    finally:
        reset_request_id(token)
    assert "\n" not in line
    payload = json.loads(line)
    assert payload["msg"] == "hello world"
    assert payload["service"] == "web"
    assert payload["request_id"] == "req-7"
    assert payload["level"] == "INFO"
    assert (payload["path"], payload["status"], payload["duration_ms"]) == ("/caf\u00e9", 200, 1.5)
    assert payload["price"] == "2.50"
    assert payload["ts"].endswith("Z")
    # Written as UTF-8 text, not \\u escapes.
    assert "caf\u00e9" in line


def test_hostile_text_stays_one_line_of_valid_json():
    line = JSONFormatter().format(record('a\nb\r"c"\x00\u2028', ()))
    assert "\n" not in line
    assert json.loads(line)["msg"] == 'a\nb\r"c"\x00\u2028'


def test_exception_text_is_included():
    try:
        raise ValueError("boom")
    except ValueError:
        rec = record()
        rec.exc_info = sys.exc_info()
    payload = json.loads(JSONFormatter().format(rec))
    assert "ValueError: boom" in payload["exc"]
