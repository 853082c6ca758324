"""ConsumerWorker: the poll -> process -> dead-letter -> commit skeleton of the consumers."""

from kafka.errors import KafkaError

from marketplace_batch.lifecycle import ShutdownFlag, Stopping
from marketplace_batch.worker import ConsumerWorker

from .conftest import FakeConsumer, FakeDeadLetters, records


class EchoWorker(ConsumerWorker):
    """Dead-letters records whose value is b"bad", acknowledges the batch."""

    def __init__(self, *, fail_with=None, **kwargs):
        super().__init__(**kwargs)
        self.fail_with = fail_with
        self.processed: list = []

    def poll(self, idle_timeout_seconds):
        polled = self.consumer.poll()
        return [record for batch in polled.values() for record in batch]

    def process(self, batch):
        if self.fail_with is not None:
            raise self.fail_with
        self.dead_letter([(r, "bad value") for r in batch if r.value == b"bad"])
        self.processed.extend(r for r in batch if r.value != b"bad")
        self.acknowledge(batch)


class FlakyDeadLetters(FakeDeadLetters):
    def __init__(self, failures):
        super().__init__()
        self.failures = failures

    def publish(self, items):
        if self.failures:
            self.failures -= 1
            raise KafkaError("broker down")
        super().publish(items)


class ConsumerWorkerTest:
    def test_poison_parked_then_offsets_committed(self, settings):
        consumer = FakeConsumer([records([b"ok", b"bad", b"ok"], topic="t")])
        dead = FlakyDeadLetters(failures=2)  # the broker comes back after two tries
        worker = EchoWorker(
            consumer=consumer, dead_letters=dead, settings=settings, shutdown=ShutdownFlag()
        )
        assert worker.run_once() == 3
        assert [(record.offset, reason) for record, reason in dead.published] == [(1, "bad value")]
        assert len(worker.processed) == 2
        assert consumer.commits == 1 and list(consumer.committed.values()) == [3]
        assert consumer.paused() == set()

    def test_stopping_mid_batch_commits_nothing(self, settings):
        consumer = FakeConsumer([records([b"ok"], topic="t")])
        worker = EchoWorker(
            fail_with=Stopping("op"),
            consumer=consumer,
            dead_letters=FakeDeadLetters(),
            settings=settings,
            shutdown=ShutdownFlag(),
        )
        assert worker.run_once() == 0
        assert consumer.commits == 0

    def test_empty_poll_handles_nothing(self, settings):
        worker = EchoWorker(
            consumer=FakeConsumer([]),
            dead_letters=FakeDeadLetters(),
            settings=settings,
            shutdown=ShutdownFlag(),
        )
        assert worker.run_once() == 0
