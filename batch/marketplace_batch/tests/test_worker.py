"""ConsumerWorker: the poll -> process -> dead-letter -> commit skeleton of the consumers,
on the real broker (a topic and group of its own per test)."""

from kafka.errors import KafkaError

from marketplace_batch.lifecycle import ShutdownFlag, Stopping
from marketplace_batch.worker import ConsumerWorker
from testsupport import wait_until
from testsupport.kafka import end_offset, read_messages

from .conftest import (
    ENGINE_WAIT_SECONDS,
    committed_offset,
    run_until_handled,
)


class EchoWorker(ConsumerWorker):
    """Dead-letters records whose value is b"bad", acknowledges the batch."""

    batch_size = 100
    linger_seconds = 0.01

    def __init__(self, *, fail_with=None, **kwargs):
        super().__init__(**kwargs)
        self.fail_with = fail_with
        self.attempts = 0
        self.processed: list = []

    def process(self, batch):
        self.attempts += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.dead_letter([(r, "bad value") for r in batch if r.value == b"bad"])
        self.processed.extend(r for r in batch if r.value != b"bad")
        self.acknowledge(batch)


class DeadLetterTopicDownTwice:
    """The real dead-letter publisher behind a broker that fails the first two sends (as
    kafka-python does while the broker is down), then is back."""

    def __init__(self, real):
        self.real = real
        self.failures = 2

    def publish(self, items):
        if self.failures:
            self.failures -= 1
            raise KafkaError("broker down")
        self.real.publish(items)


class ConsumerWorkerTest:
    def test_poison_parked_then_offsets_committed(
        self, settings, topic, produce, group_consumer, dead_letters
    ):
        produce(topic, [b"ok", b"bad", b"ok"])
        worker = EchoWorker(
            consumer=group_consumer(topic),
            dead_letters=DeadLetterTopicDownTwice(dead_letters),
            settings=settings,
            shutdown=ShutdownFlag(),
        )
        assert run_until_handled(worker, 3) == 3
        (parked,) = read_messages(topic + ".dlq", 1)
        assert (parked.key, parked.value) == (b"1", b"bad")  # the raw message
        assert [record.offset for record in worker.processed] == [0, 2]
        assert committed_offset(worker.consumer, topic) == 3
        assert worker.consumer.paused() == set()

    def test_stopping_mid_batch_commits_nothing(
        self, settings, topic, produce, group_consumer, dead_letters
    ):
        produce(topic, [b"ok"])
        worker = EchoWorker(
            fail_with=Stopping("op"),
            consumer=group_consumer(topic),
            dead_letters=dead_letters,
            settings=settings,
            shutdown=ShutdownFlag(),
        )
        wait_until(
            lambda: worker.run_once(idle_timeout_seconds=0.5) == 0 and worker.attempts,
            ENGINE_WAIT_SECONDS,
            interval=0,
            message="the batch attempted",
        )
        assert committed_offset(worker.consumer, topic) is None
        assert end_offset(topic + ".dlq") == 0

    def test_empty_topic_handles_nothing(self, settings, topic, group_consumer, dead_letters):
        worker = EchoWorker(
            consumer=group_consumer(topic),
            dead_letters=dead_letters,
            settings=settings,
            shutdown=ShutdownFlag(),
        )
        wait_until(
            lambda: worker.run_once(idle_timeout_seconds=0.2) == 0 and worker.consumer.assignment(),
            ENGINE_WAIT_SECONDS,
            interval=0,
            message="the partition assigned",
        )
        assert worker.attempts == 0
        assert committed_offset(worker.consumer, topic) is None
