"""The stdout log handler: same JSON lines, in order, written off the request thread."""

from __future__ import annotations

import io
import json
import logging
import threading

from django.conf import settings

from core.logging import BackgroundStreamHandler
from mpcommon.logging import JSONFormatter, RequestIDFilter
from mpcommon.request_id import reset_request_id, set_request_id


class GatedStream(io.StringIO):
    """A stream whose writes block until the test opens the gate."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.writer_threads: set[str] = set()

    def write(self, text):
        self.writer_threads.add(threading.current_thread().name)
        self.gate.wait(timeout=30)
        return super().write(text)


def make_logger(handler: logging.Handler, name: str) -> logging.Logger:
    handler.setFormatter(JSONFormatter("web-frontend"))
    handler.addFilter(RequestIDFilter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


class BackgroundStreamHandlerTest:
    def test_lines_are_the_json_lines_in_order_after_flush(self):
        stream = io.StringIO()
        handler = BackgroundStreamHandler(stream)
        logger = make_logger(handler, "test.background.order")
        for n in range(200):
            logger.info("request", extra={"n": n})
        handler.flush()
        lines = stream.getvalue().splitlines()
        assert [json.loads(line)["n"] for line in lines] == list(range(200))
        assert json.loads(lines[0])["service"] == "web-frontend"

    def test_request_id_is_taken_on_the_calling_thread(self):
        stream = io.StringIO()
        handler = BackgroundStreamHandler(stream)
        logger = make_logger(handler, "test.background.rid")
        token = set_request_id("rid-123")
        try:
            logger.info("request")
        finally:
            reset_request_id(token)
        handler.flush()
        assert json.loads(stream.getvalue())["request_id"] == "rid-123"

    def test_caller_does_not_wait_for_a_slow_stream(self):
        stream = GatedStream()
        handler = BackgroundStreamHandler(stream)
        logger = make_logger(handler, "test.background.slow")
        # The write is blocked until the gate opens, yet logging returns: the line waits
        # in the queue, written by the handler's own thread.
        logger.info("request")
        logger.info("request")
        assert stream.getvalue() == ""
        stream.gate.set()
        handler.flush()
        assert len(stream.getvalue().splitlines()) == 2
        assert stream.writer_threads == {"log-writer"}

    def test_a_failing_format_does_not_raise(self, monkeypatch):
        handler = BackgroundStreamHandler(io.StringIO())
        logger = make_logger(handler, "test.background.error")
        handled = []
        monkeypatch.setattr(handler, "handleError", handled.append)
        logger.info("%d", "not a number")
        assert len(handled) == 1

    def test_the_site_logs_through_it(self):
        assert settings.LOGGING["handlers"]["stdout"]["class"] == (
            "core.logging.BackgroundStreamHandler"
        )
