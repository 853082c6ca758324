import pytest

from marketplace_batch.lifecycle import (
    Backoff,
    Retrier,
    ShutdownFlag,
    Stopping,
    retry_until_done,
)


class Flaky:
    def __init__(self, failures, exc=ConnectionError):
        self.failures = failures
        self.calls = 0
        self.exc = exc

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc("down")
        return "done"


FAST = Backoff(initial=0.001, maximum=0.004)


def transient(exc):
    return isinstance(exc, ConnectionError)


class BackoffTest:
    def test_ceiling_grows_exponentially_then_caps(self):
        backoff = Backoff(initial=0.5, maximum=4, factor=2)
        assert [backoff.ceiling(n) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]

    def test_delays_jittered_within_half_and_full_ceiling(self):
        delays = Backoff(initial=1, maximum=8).delays()
        for ceiling in (1, 2, 4, 8, 8):
            assert ceiling / 2 <= next(delays) <= ceiling

    def test_delays_without_jitter_exact(self):
        delays = Backoff(initial=1, maximum=3, jitter=False).delays()
        assert [next(delays) for _ in range(4)] == [1, 2, 3, 3]


class RetryUntilDoneTest:
    def test_transient_errors_retried_until_success(self):
        operation = Flaky(3)
        keepalives = []
        result = retry_until_done(
            operation,
            is_transient=transient,
            backoff=FAST,
            shutdown=ShutdownFlag(),
            what="op",
            keepalive=lambda: keepalives.append(1),
        )
        assert result == "done"
        assert operation.calls == 4
        assert len(keepalives) == 3

    def test_permanent_error_raised_without_retry(self):
        operation = Flaky(1, exc=ValueError)
        with pytest.raises(ValueError):
            retry_until_done(
                operation, is_transient=transient, backoff=FAST, shutdown=ShutdownFlag(), what="op"
            )
        assert operation.calls == 1

    def test_shutdown_requested_while_waiting_stops(self):
        shutdown = ShutdownFlag()
        shutdown.request()
        operation = Flaky(100)
        with pytest.raises(Stopping):
            retry_until_done(
                operation, is_transient=transient, backoff=FAST, shutdown=shutdown, what="op"
            )
        assert operation.calls == 1

    def test_max_attempts_exhausted_reraises_last_error(self):
        operation = Flaky(100)
        with pytest.raises(ConnectionError):
            retry_until_done(
                operation,
                is_transient=transient,
                backoff=FAST,
                shutdown=ShutdownFlag(),
                what="op",
                max_attempts=3,
            )
        assert operation.calls == 3


class RetrierTest:
    def test_bound_policy_retries_with_keepalive(self):
        keepalives = []
        retry = Retrier(FAST, ShutdownFlag(), keepalive=lambda: keepalives.append(1))
        operation = Flaky(2)
        assert retry(operation, transient, "op") == "done"
        assert operation.calls == 3 and len(keepalives) == 2

    def test_attempt_limit_reraises_last_error(self):
        retry = Retrier(FAST, ShutdownFlag(), max_attempts=2)
        operation = Flaky(5)
        with pytest.raises(ConnectionError):
            retry(operation, transient, "op")
        assert operation.calls == 2
