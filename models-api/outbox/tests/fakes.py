"""A stand-in for KafkaProducer: records sends, can fail on demand."""

from __future__ import annotations

from collections import namedtuple

from kafka.errors import KafkaTimeoutError

Metadata = namedtuple("Metadata", "topic partition offset")


class FakeFuture:
    def __init__(self, metadata=None, error=None):
        self.metadata, self.error = metadata, error

    def get(self, timeout=None):
        if self.error is not None:
            raise self.error
        return self.metadata


class FakeProducer:
    """``fail_on``: indexes of sends whose ack fails; ``raise_on``: sends that raise."""

    def __init__(self, fail_on=(), raise_on=()):
        self.sent: list[tuple[str, str, bytes]] = []
        self.fail_on, self.raise_on = set(fail_on), set(raise_on)
        self.closed = False

    def send(self, topic, key=None, value=None):
        index = len(self.sent)
        if index in self.raise_on:
            self.raise_on.discard(index)
            raise KafkaTimeoutError("Failed to update metadata after 5.0 secs.")
        self.sent.append((topic, key, value))
        if index in self.fail_on:
            return FakeFuture(error=KafkaTimeoutError("Batch expired"))
        return FakeFuture(Metadata(topic, 0, index))

    def flush(self, timeout=None):
        pass

    def close(self, timeout=None):
        self.closed = True
