"""The alerts worker: saved searches -> a percolator index; new listings -> matches.

One process, one loop, two consumers (docs/accounts-and-notifications.md):

- topic ``saved-searches`` (group ``alerts-percolator``): ``saved_search.upserted``
  indexes the search's percolator document (id = saved search id, the query built by
  ``mpcommon.search_query`` exactly as the search page builds its own), a paused one
  is deleted from the index, ``saved_search.deleted`` deletes it (404 is fine). Every
  write refreshes the index, so the next percolation sees it.
- topic ``listings`` (group ``alerts``): every ``listing.created`` of an active listing
  is percolated (a batch of listings in one request) and each listing's matched saved
  search ids are POSTed to models-api (``/saved-searches/matches``, idempotent per
  (search, listing), so a redelivered batch sends nothing twice).

Order: before a batch of listings is matched, the saved-searches consumer catches up
with the end of its topic (committed offset = end offset), so a search saved just
before a listing was created is already in the index when the listing is percolated.

As in every worker, offsets are committed only after the batch's work is done, poison
messages are parked in ``<topic>.dlq`` (invalid saved-search events; listings whose
matches models-api refuses as malformed; an invalid listing event is only logged, the
indexer parks it), and transient errors (engine or models-api
down, 5xx, 429, a token being rotated) are retried with backoff while the consumer
stays in its group; SIGTERM abandons an unfinished batch uncommitted (redelivered).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch
from kafka import TopicPartition

from mpcommon import events, search_index, search_query

from . import kafka_io, percolator, search
from .lifecycle import Retrier, ShutdownFlag, Stopping
from .models_api import ModelsApiClient, ModelsApiError
from .models_api import is_transient as models_api_transient
from .percolator import SavedSearchWrite
from .settings import Settings
from .worker import ConsumerWorker

logger = logging.getLogger(__name__)

# While catching up before a listings batch, each poll of the saved-searches topic
# waits at most this long for records.
SYNC_POLL_SECONDS = 0.1


# --------------------------------------------------------------------------- planning
@dataclass
class SavedSearchPlan:
    writes: list[SavedSearchWrite] = field(default_factory=list)
    poison: list[tuple[Any, str]] = field(default_factory=list)
    superseded: int = 0


def percolator_document(event: dict) -> dict:
    """The saved-searches index document of an upserted (not paused) saved search."""
    saved = event["saved_search"]
    query_dsl = search_query.saved_search_query(saved["query"], saved["filters"])
    return {
        "saved_search_id": event["saved_search_id"],
        "user_id": event["user_id"],
        "search": {"query": saved["query"], "filters": saved["filters"], "query_dsl": query_dsl},
        search_index.PERCOLATOR_FIELD: query_dsl,
    }


def saved_search_write(event: dict, source: Any = None) -> SavedSearchWrite:
    """What a (validated) saved-search event asks of the index: a paused or deleted
    search is deleted (it must match nothing), any other is (re)indexed."""
    saved = event["saved_search"]
    if event["type"] == events.SAVED_SEARCH_DELETED or saved is None or saved["paused"]:
        return SavedSearchWrite(event["saved_search_id"], None, source)
    return SavedSearchWrite(event["saved_search_id"], percolator_document(event), source)


def plan_saved_searches(records: list) -> SavedSearchPlan:
    """Decode a batch into writes (the last event per saved search: the topic is keyed
    by saved search id, so a search's events are in order) and poison."""
    plan = SavedSearchPlan()
    last: dict[int, SavedSearchWrite] = {}
    for record in records:
        try:
            event = events.decode(events.TOPIC_SAVED_SEARCHES, record.value)
            if event["type"] == events.SAVED_SEARCH_UPSERTED and event["saved_search"] is None:
                raise events.InvalidEvent("saved_search missing")
            write = saved_search_write(event, record)
        except (events.InvalidEvent, KeyError, TypeError, ValueError) as exc:
            plan.poison.append((record, f"invalid event: {exc}"[:500]))
            continue
        if write.saved_search_id in last:
            plan.superseded += 1
            del last[write.saved_search_id]  # re-inserted last: writes keep event order
        last[write.saved_search_id] = write
    plan.writes = list(last.values())
    return plan


@dataclass(frozen=True)
class NewListing:
    listing_id: int
    document: dict
    occurred_at: str
    source: Any = None


@dataclass
class ListingPlan:
    listings: list[NewListing] = field(default_factory=list)
    poison: list[tuple[Any, str]] = field(default_factory=list)
    ignored: int = 0  # updates, deletions, listings created inactive, duplicates


def plan_listings(records: list) -> ListingPlan:
    """The batch's newly created active listings (once each) and its poison.

    Only ``listing.created`` alerts: a listing edited later, or reactivated, was already
    new once (and models-api dedupes per (search, listing) anyway)."""
    plan = ListingPlan()
    seen: set[int] = set()
    for record in records:
        try:
            event = events.decode(events.TOPIC_LISTINGS, record.value)
            listing = event["listing"]
            if listing is not None and listing["id"] != event["listing_id"]:
                raise events.InvalidEvent("listing.id differs from listing_id")
            if event["type"] != events.LISTING_CREATED or listing["status"] != "active":
                plan.ignored += 1
                continue
            document = search_index.listing_document(listing)
        except (events.InvalidEvent, KeyError, TypeError, ValueError, ArithmeticError) as exc:
            plan.poison.append((record, f"invalid event: {exc}"[:500]))
            continue
        if event["listing_id"] in seen:
            plan.ignored += 1
            continue
        seen.add(event["listing_id"])
        plan.listings.append(
            NewListing(event["listing_id"], document, event["occurred_at"], record)
        )
    return plan


def _lag_ms(occurred_at: str) -> float | None:
    """Milliseconds since the event occurred (None if its timestamp is unreadable)."""
    try:
        then = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return round((datetime.now(UTC) - then).total_seconds() * 1000, 1)


# --------------------------------------------------------------------------- workers
class SavedSearchIndexer(ConsumerWorker):
    """Keeps the saved-searches index in step with the saved-searches topic."""

    name = "alerts-percolator"

    def __init__(
        self,
        *,
        consumer,
        es: Elasticsearch,
        dead_letters: kafka_io.DeadLetterPublisher,
        settings: Settings,
        shutdown: ShutdownFlag,
        index: str | None = None,
    ):
        super().__init__(
            consumer=consumer, dead_letters=dead_letters, settings=settings, shutdown=shutdown
        )
        self.es = es
        self.index = index or settings.saved_searches_index
        self.topic = settings.saved_searches_topic
        self.percolator: bool | None = None  # known after start()

    @property
    def batch_size(self) -> int:
        return self.settings.saved_searches_batch_size

    @property
    def linger_seconds(self) -> float:
        return 0.0  # the listings side waits for us: never linger

    def start(self) -> None:
        # Before the first poll nothing is assigned: no consumer keepalive needed yet.
        self.percolator = Retrier(self.backoff, self.shutdown)(
            lambda: percolator.ensure_saved_searches_index(self.es, self.index),
            search.is_transient,
            "ensure saved-searches index",
        )

    def process(self, records: list) -> None:
        started = time.perf_counter()
        plan = plan_saved_searches(records)
        outcome = percolator.write_until_settled(
            self.es, plan.writes, self.index, percolator=bool(self.percolator), retry=self._retry
        )
        poison = plan.poison + [(write.source, reason) for write, reason in outcome.rejected]
        self.dead_letter(poison)
        self.acknowledge(records)
        logger.info(
            "saved searches indexed",
            extra={
                "records": len(records),
                "indexed": len(outcome.indexed),
                "deleted": len(outcome.deleted),
                "superseded": plan.superseded,
                "dead_lettered": len(poison),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def caught_up(self) -> bool:
        """Whether the group has committed every saved-search event published so far."""
        partitions = self.consumer.partitions_for_topic(self.topic)
        if not partitions:
            return False
        wanted = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        ends = self.consumer.end_offsets(wanted)
        return all((self.consumer.committed(tp) or 0) >= ends[tp] for tp in wanted)


class ListingMatcher(ConsumerWorker):
    """Percolates new active listings and posts their matches to models-api."""

    name = "alerts"

    def __init__(
        self,
        *,
        consumer,
        matcher,
        models_api: ModelsApiClient,
        dead_letters: kafka_io.DeadLetterPublisher,
        settings: Settings,
        shutdown: ShutdownFlag,
    ):
        super().__init__(
            consumer=consumer, dead_letters=dead_letters, settings=settings, shutdown=shutdown
        )
        self.matcher = matcher
        self.models_api = models_api
        self.topic = settings.listings_topic

    @property
    def batch_size(self) -> int:
        return self.settings.alerts_batch_size

    @property
    def linger_seconds(self) -> float:
        return self.settings.alerts_linger_seconds

    def start(self) -> None:
        Retrier(self.backoff, self.shutdown)(
            self.matcher.prepare, search.is_transient, "prepare matching"
        )

    def process(self, records: list) -> None:
        started = time.perf_counter()
        plan = plan_listings(records)
        documents = [listing.document for listing in plan.listings]
        matches: percolator.Matches = {}
        if documents:
            matches = self._retry(
                lambda: self.matcher.match(documents), search.is_transient, "percolate listings"
            )
        percolated = time.perf_counter()
        # An invalid listing event is the indexer's to park in listings.dlq (every
        # consumer of the topic sees it; one copy there is enough): logged and skipped.
        for record, reason in plan.poison:
            logger.warning(
                "invalid listing event skipped (the indexer dead-letters it)",
                extra={"partition": record.partition, "offset": record.offset, "reason": reason},
            )
        poison: list[tuple[Any, str]] = []
        posted = {"emailed": 0, "queued_for_digest": 0}
        matched = 0
        for slot, listing in enumerate(plan.listings):
            ids = matches.get(slot)
            if not ids:
                continue
            try:
                answer = self._retry(
                    lambda listing=listing, ids=ids: self.models_api.saved_search_matches(
                        listing.listing_id, ids
                    ),
                    models_api_transient,
                    f"post matches of listing {listing.listing_id}",
                )
            except ModelsApiError as exc:  # permanent (400/413/422): sending it again fails
                poison.append((listing.source, f"matches refused: {exc}"[:500]))
                continue
            matched += len(ids)
            for key in posted:
                posted[key] += int(answer.get(key, 0) or 0)
            logger.info(
                "saved search matches posted",
                extra={
                    "listing_id": listing.listing_id,
                    "saved_searches": ids,
                    "emailed": answer.get("emailed"),
                    "queued_for_digest": answer.get("queued_for_digest"),
                    "lag_ms": _lag_ms(listing.occurred_at),
                },
            )
        self.dead_letter(poison)
        self.acknowledge(records)
        logger.info(
            "listings matched",
            extra={
                "records": len(records),
                "listings": len(plan.listings),
                "matched_listings": sum(1 for slot in matches if matches[slot]),
                "matches": matched,
                **posted,
                "ignored": plan.ignored,
                "invalid": len(plan.poison),
                "dead_lettered": len(poison),
                "strategy": self.matcher.strategy,
                "percolate_ms": round((percolated - started) * 1000, 1),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )


class AlertsWorker:
    """The loop over both consumers: saved searches first, then a batch of listings."""

    def __init__(
        self,
        *,
        saved_searches: SavedSearchIndexer,
        listings: ListingMatcher,
        settings: Settings,
        shutdown: ShutdownFlag,
    ):
        self.saved_searches = saved_searches
        self.listings = listings
        self.settings = settings
        self.shutdown = shutdown

    def start(self) -> None:
        self.saved_searches.start()
        if not self.saved_searches.percolator and isinstance(
            self.listings.matcher, percolator.PercolateMatcher
        ):
            logger.warning(
                "the search engine has no percolator field type: matching by running each "
                "saved search against the batch instead (fine for development; install "
                "the percolator module for production)",
                extra={"index": self.saved_searches.index},
            )
            self.listings.matcher = percolator.SearchMatcher(
                self.saved_searches.es, self.saved_searches.index
            )
        self.listings.start()

    def run(self) -> None:
        self.start()
        logger.info(
            "alerts started",
            extra={
                "saved_searches_topic": self.saved_searches.topic,
                "listings_topic": self.listings.topic,
                "index": self.saved_searches.index,
                "strategy": self.listings.matcher.strategy,
            },
        )
        while not self.shutdown.requested:
            self.run_once()
        logger.info("alerts stopped")

    def run_once(self, *, idle_timeout_seconds: float = 1.0) -> int:
        """Catch up on saved searches, then poll and match one batch of listings.
        Returns the number of records handled (of both topics)."""
        handled = self.sync_saved_searches(0.0)
        records = self.listings.poll(idle_timeout_seconds)
        if not records:
            return handled
        handled += self.sync_saved_searches(self.settings.alerts_sync_wait_seconds)
        try:
            self.listings.process(records)
        except Stopping:
            logger.info("stopping before the batch was acknowledged; it will be redelivered")
            return handled
        return handled + len(records)

    def sync_saved_searches(self, wait_seconds: float) -> int:
        """Index saved-search events until the topic's end is committed (or, after
        ``wait_seconds``, give up for now). With 0, at most one poll."""
        deadline = time.monotonic() + wait_seconds
        handled = 0
        while not self.shutdown.requested and not self._caught_up():
            handled += self.saved_searches.run_once(idle_timeout_seconds=SYNC_POLL_SECONDS)
            if time.monotonic() >= deadline:
                if wait_seconds:
                    logger.warning(
                        "saved searches not caught up; matching listings anyway",
                        extra={"waited_s": wait_seconds},
                    )
                break
        return handled

    def _caught_up(self) -> bool:
        try:
            return self.saved_searches.caught_up()
        except Exception as exc:  # the broker unreachable: poll (and retry) as usual
            if not kafka_io.is_transient(exc):
                raise
            return False


def run(settings: Settings, shutdown: ShutdownFlag) -> None:
    es = search.create_client(settings)
    models_api = ModelsApiClient.from_settings(settings)
    saved_consumer = kafka_io.create_consumer(
        settings.saved_searches_topic,
        settings.alerts_percolator_group,
        settings,
        max_poll_records=settings.saved_searches_batch_size,
    )
    listings_consumer = kafka_io.create_consumer(
        settings.listings_topic,
        settings.alerts_group,
        settings,
        max_poll_records=settings.alerts_batch_size,
    )
    dead_letters = kafka_io.DeadLetterPublisher(kafka_io.create_producer())
    worker = AlertsWorker(
        saved_searches=SavedSearchIndexer(
            consumer=saved_consumer,
            es=es,
            dead_letters=dead_letters,
            settings=settings,
            shutdown=shutdown,
        ),
        listings=ListingMatcher(
            consumer=listings_consumer,
            matcher=percolator.PercolateMatcher(es, settings.saved_searches_index),
            models_api=models_api,
            dead_letters=dead_letters,
            settings=settings,
            shutdown=shutdown,
        ),
        settings=settings,
        shutdown=shutdown,
    )
    try:
        worker.run()
    finally:
        saved_consumer.close(autocommit=False)
        listings_consumer.close(autocommit=False)
        dead_letters.close()
        models_api.close()
        es.close()
