import json
import logging

from mpcommon.logging import JSONFormatter, RequestIDFilter
from mpcommon.request_id import clean_request_id, reset_request_id, set_request_id


class RequestIDTest:
    def test_well_formed_id_is_kept(self):
        assert clean_request_id("7F000001:C350_0A") == "7F000001:C350_0A"

    def test_injection_attempt_is_replaced(self):
        cleaned = clean_request_id('abc\n{"level":"CRITICAL"}')
        assert "\n" not in cleaned and len(cleaned) == 32

    def test_missing_id_is_generated(self):
        assert len(clean_request_id(None)) == 32


class JSONFormatterTest:
    def test_line_carries_request_id_and_extra_fields(self):
        record = logging.LogRecord("access", logging.INFO, __file__, 1, "request", (), None)
        record.status = 200
        token = set_request_id("req-1")
        try:
            RequestIDFilter().filter(record)
        finally:
            reset_request_id(token)
        line = json.loads(JSONFormatter(service="web").format(record))
        assert line["request_id"] == "req-1"
        assert line["service"] == "web"
        assert line["status"] == 200

    def test_django_request_records_take_the_id_of_their_request(self):
        # django.request logs 4xx/5xx after RequestIDMiddleware has reset the context.
        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Bad", (), None)
        record.request = type("Request", (), {"request_id": "req-2"})()
        RequestIDFilter().filter(record)
        assert record.request_id == "req-2"

    def test_record_without_request_outside_a_request_gets_dash(self):
        record = logging.LogRecord("worker", logging.INFO, __file__, 1, "tick", (), None)
        RequestIDFilter().filter(record)
        assert record.request_id == "-"
