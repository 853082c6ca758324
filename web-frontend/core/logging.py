"""A log handler that keeps the request threads out of the write to the log stream.

The profile of issue 11 found a web worker spending ~7% of its time in
``StreamHandler.emit``: one write and one flush to the supervisor's pipe per access
line, under the handler's lock, on the thread serving the request. Here the record is
filtered and formatted on the calling thread as before (the request ID is read there),
then queued; one background thread per process writes whatever is queued in a single
write and flush. Lines keep their order; nothing is dropped; ``flush()`` (also run at
exit) waits until every queued line is written.
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import sys
import threading
import time

MAX_BATCH = 512
# The writer looks for lines this often when it found none: a line reaches the stream
# at most this late, and the request thread only appends to a deque (no lock, no wake-up).
IDLE_POLL_SECONDS = 0.02


class BackgroundStreamHandler(logging.Handler):
    """``logging.StreamHandler`` (stderr by default), written by a background thread."""

    terminator = "\n"

    def __init__(self, stream=None):
        super().__init__()
        # Where logging.StreamHandler writes by default.
        self.stream = stream if stream is not None else sys.stderr
        self._lines: collections.deque[str] = collections.deque()
        self._writing = False
        self._writer_pid: int | None = None
        self._start_lock = threading.Lock()
        atexit.register(self.flush)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - logging must never break the caller
            self.handleError(record)
            return
        if self._writer_pid != os.getpid():
            self._start_writer()
        self._lines.append(line)

    def _start_writer(self) -> None:
        # One writer per process: a forked gunicorn worker starts its own.
        with self._start_lock:
            if self._writer_pid != os.getpid():
                self._lines = collections.deque()
                thread = threading.Thread(target=self._write_forever, name="log-writer")
                thread.daemon = True
                thread.start()
                self._writer_pid = os.getpid()

    def _write_forever(self) -> None:
        while True:
            self._write_pending()
            time.sleep(IDLE_POLL_SECONDS)

    def _write_pending(self) -> None:
        lines = self._lines
        while lines:
            self._writing = True
            batch = []
            while lines and len(batch) < MAX_BATCH:
                batch.append(lines.popleft())
            try:
                self.stream.write("".join(batch))
                self.stream.flush()
            except Exception:  # noqa: BLE001, S110 - a broken stream must not kill the writer
                pass
            finally:
                self._writing = False

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) until every queued line has been written."""
        if self._writer_pid != os.getpid():
            return
        deadline = time.monotonic() + timeout
        while (self._lines or self._writing) and time.monotonic() < deadline:
            time.sleep(0.002)
