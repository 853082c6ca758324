"""search.write_until_settled: the bulk-write loop the indexer and the re-indexer share."""

import pytest

from marketplace_batch import search
from marketplace_batch.lifecycle import Backoff, Retrier, ShutdownFlag
from marketplace_batch.search import ListingWrite

FAST_RETRY = Retrier(Backoff(initial=0.001, maximum=0.002), ShutdownFlag())


class ScriptedBulkEngine:
    """Answers each bulk call with the next scripted per-item statuses (by listing id)."""

    def __init__(self, *rounds):
        self.rounds = list(rounds)
        self.calls: list[list[int]] = []

    def bulk(self, operations):
        ids = [
            int(op[next(iter(op))]["_id"]) for op in operations if "index" in op or "delete" in op
        ]
        self.calls.append(ids)
        statuses = self.rounds.pop(0)
        if isinstance(statuses, Exception):
            raise statuses
        items = []
        for listing_id in ids:
            status = statuses[listing_id]
            result = {"status": status}
            if status >= 300:
                result["error"] = {"type": "x", "reason": f"status {status}"}
            items.append({"index": result})
        return {"items": items}


def writes(*ids):
    return [ListingWrite(i, 1, {"id": i}) for i in ids]


class WriteUntilSettledTest:
    def test_only_transient_items_are_sent_again(self):
        engine = ScriptedBulkEngine({1: 201, 2: 429, 3: 409, 4: 400}, {2: 201})
        outcome = search.write_until_settled(engine, writes(1, 2, 3, 4), "idx", retry=FAST_RETRY)
        assert engine.calls == [[1, 2, 3, 4], [2]]
        assert [w.listing_id for w in outcome.applied] == [1, 2]
        assert [w.listing_id for w in outcome.stale] == [3]
        assert [w.listing_id for w, _ in outcome.rejected] == [4]
        assert outcome.transient == []

    def test_failed_call_is_repeated_whole(self):
        engine = ScriptedBulkEngine(search.BulkRetryNeeded("short answer"), {1: 201, 2: 201})
        outcome = search.write_until_settled(engine, writes(1, 2), "idx", retry=FAST_RETRY)
        assert engine.calls == [[1, 2], [1, 2]]
        assert len(outcome.applied) == 2

    def test_gives_up_after_the_retriers_attempt_limit(self):
        engine = ScriptedBulkEngine({1: 503}, {1: 503})
        retry = Retrier(Backoff(initial=0.001, maximum=0.002), ShutdownFlag(), max_attempts=2)
        with pytest.raises(search.BulkRetryNeeded):
            search.write_until_settled(engine, writes(1), "idx", retry=retry)
        assert engine.calls == [[1], [1]]
