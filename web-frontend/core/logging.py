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
import logging
import os
import queue
import sys
import threading

MAX_BATCH = 512


class BackgroundStreamHandler(logging.Handler):
    """``logging.StreamHandler`` (stderr by default), written by a background thread."""

    terminator = "\n"

    def __init__(self, stream=None):
        super().__init__()
        # Where logging.StreamHandler writes by default.
        self.stream = stream if stream is not None else sys.stderr
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        self._writer_pid: int | None = None
        self._start_lock = threading.Lock()
        atexit.register(self.flush)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # noqa: BLE001 - logging must never break the caller
            self.handleError(record)
            return
        self._ensure_writer()
        with self._idle:
            self._pending += 1
        self._queue.put(line)

    def _ensure_writer(self) -> None:
        # One writer per process: a forked gunicorn worker starts its own.
        if self._writer_pid == os.getpid():
            return
        with self._start_lock:
            if self._writer_pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pending = 0
                thread = threading.Thread(target=self._write_forever, name="log-writer")
                thread.daemon = True
                thread.start()
                self._writer_pid = os.getpid()

    def _write_forever(self) -> None:
        while True:
            lines = [self._queue.get()]
            while len(lines) < MAX_BATCH:
                try:
                    lines.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                stream = self.stream
                stream.write("".join(lines))
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - a broken stream must not kill the writer
                pass
            with self._idle:
                self._pending -= len(lines)
                if self._pending <= 0:
                    self._idle.notify_all()

    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) until every queued line has been written."""
        if self._writer_pid != os.getpid():
            return
        with self._idle:
            self._idle.wait_for(lambda: self._pending <= 0, timeout=timeout)
