"""Client of the search engine (Elasticsearch 8 API): index management and bulk writes.

Every write goes through the alias so a re-index can swap a new concrete index in
without downtime. Listing documents are written with *external versioning*
(``version`` = the listing's event version): Elasticsearch itself then rejects a stale
write with 409, which makes replays and out-of-order events harmless no-ops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import elastic_transport
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from mpcommon import search_index

from .settings import Settings

logger = logging.getLogger(__name__)


def create_client(settings: Settings) -> Elasticsearch:
    # Retries are ours (backoff while the engine is down), so the client does not retry.
    return Elasticsearch(
        settings.elasticsearch_url,
        request_timeout=settings.search_timeout_seconds,
        max_retries=0,
        retry_on_timeout=False,
    )


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying: the engine is unreachable, overloaded or failing (5xx/429)."""
    if isinstance(exc, TransportError | elastic_transport.TransportError):
        return True  # connection refused, timeouts, TLS errors
    if isinstance(exc, ApiError):
        return exc.meta.status in (429, 502, 503, 504) or exc.meta.status >= 500
    return isinstance(exc, BulkRetryNeeded)


class BulkRetryNeeded(Exception):
    """Some bulk items failed transiently (429/5xx): retry them after a pause."""


def concrete_index_name(alias: str) -> str:
    """A fresh concrete index name for ``alias`` (the shared naming for the real alias)."""
    if alias == search_index.LISTINGS_ALIAS:
        return search_index.new_index_name()
    return f"{alias}-v1-" + datetime.now(UTC).strftime("%Y%m%dt%H%M%S%f")


def create_listings_index(es: Elasticsearch, index: str) -> None:
    es.indices.create(
        index=index,
        settings=search_index.LISTINGS_SETTINGS,
        mappings=search_index.LISTINGS_MAPPING,
    )


def aliased_indices(es: Elasticsearch, alias: str) -> list[str]:
    """Concrete indices the alias points at (empty if the alias does not exist)."""
    try:
        return sorted(es.indices.get_alias(name=alias).body.keys())
    except NotFoundError:
        return []


def ensure_listings_index(es: Elasticsearch, alias: str) -> str | None:
    """Make sure ``alias`` resolves to a listings index; create one if it is missing.

    Returns the created index name, or None when the alias already existed. Without
    this, the first write through a missing alias would auto-create a concrete index
    named like the alias with a guessed (dynamic) mapping. An existing index gets the
    fields the mapping has gained since it was made (e.g. ``cover``): the mapping is
    strict, so a document carrying them would be refused otherwise.
    """
    existing = aliased_indices(es, alias)
    if existing:
        add_missing_fields(es, existing)
        return None
    if es.indices.exists(index=alias):
        raise RuntimeError(
            f"{alias!r} is a concrete index, not an alias; run `python -m marketplace_batch "
            "reindex` to replace it with an aliased index"
        )
    index = concrete_index_name(alias)
    create_listings_index(es, index)
    try:
        es.indices.update_aliases(actions=[{"add": {"index": index, "alias": alias}}])
    except ApiError:
        es.indices.delete(index=index, ignore_unavailable=True)
        raise
    logger.info("created search index", extra={"index": index, "alias": alias})
    return index


def add_missing_fields(es: Elasticsearch, indices: list[str]) -> dict[str, list[str]]:
    """Put the mapping's top-level fields an index lacks (adding a field is the one
    mapping change an existing index accepts); index -> the fields added. Changed
    definitions of existing fields need a re-index (``python -m marketplace_batch
    reindex``) and are not touched here."""
    wanted = search_index.LISTINGS_MAPPING["properties"]
    added: dict[str, list[str]] = {}
    mappings = es.indices.get_mapping(index=",".join(indices))
    for index in indices:
        present = mappings[index]["mappings"].get("properties", {})
        missing = {name: spec for name, spec in wanted.items() if name not in present}
        if not missing:
            continue
        es.indices.put_mapping(index=index, properties=missing)
        added[index] = sorted(missing)
        logger.info("search index mapping extended", extra={"index": index, "fields": added[index]})
    return added


# --------------------------------------------------------------------------- bulk writes
@dataclass(frozen=True)
class ListingWrite:
    """One versioned write of a listing document (``document`` None means delete)."""

    listing_id: int
    version: int
    document: dict[str, Any] | None
    source: Any = None  # what produced it (e.g. the Kafka record), for dead-lettering

    @property
    def is_delete(self) -> bool:
        return self.document is None


@dataclass
class BulkOutcome:
    applied: list[ListingWrite] = field(default_factory=list)
    stale: list[ListingWrite] = field(default_factory=list)  # 409: a newer version exists
    rejected: list[tuple[ListingWrite, str]] = field(default_factory=list)  # permanent 4xx
    transient: list[tuple[ListingWrite, str]] = field(default_factory=list)  # 429/5xx


def bulk_operations(writes: list[ListingWrite], index: str) -> list[dict]:
    """The bulk request body: externally versioned index/delete actions."""
    operations: list[dict] = []
    for write in writes:
        meta = {
            "_index": index,
            "_id": str(write.listing_id),
            "version": write.version,
            "version_type": "external",
        }
        if write.is_delete:
            operations.append({"delete": meta})
        else:
            operations.append({"index": meta})
            operations.append(write.document)
    return operations


def classify_bulk_items(writes: list[ListingWrite], items: list[dict]) -> BulkOutcome:
    """Sort the per-item results of a bulk response into applied/stale/rejected/transient."""
    if len(items) != len(writes):
        raise BulkRetryNeeded(f"bulk answered {len(items)} items for {len(writes)} actions")
    outcome = BulkOutcome()
    for write, item in zip(writes, items, strict=True):
        (result,) = item.values()
        status = int(result.get("status", 500))
        if status < 300:
            outcome.applied.append(write)
        elif status == 409:
            outcome.stale.append(write)
        elif status == 404 and write.is_delete:
            outcome.applied.append(write)  # already gone: the goal of a delete
        elif status == 429 or status >= 500:
            outcome.transient.append((write, _error_text(result)))
        else:
            outcome.rejected.append((write, _error_text(result)))
    return outcome


def _error_text(result: dict) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:500]
    return str(error or f"status {result.get('status')}")[:500]


def write_listings(es: Elasticsearch, writes: list[ListingWrite], index: str) -> BulkOutcome:
    """One bulk call; raises on transport errors (the caller retries with backoff)."""
    if not writes:
        return BulkOutcome()
    response = es.bulk(operations=bulk_operations(writes, index))
    return classify_bulk_items(writes, response["items"])


def write_until_settled(
    es: Elasticsearch,
    writes: list[ListingWrite],
    index: str,
    *,
    retry: Callable[..., object],
    what: str = "bulk write to search engine",
) -> BulkOutcome:
    """Bulk-write until every item is applied, stale or permanently rejected.

    Items that failed transiently (429/5xx), and whole calls that failed on the way, are
    sent again through ``retry`` (a :class:`~marketplace_batch.lifecycle.Retrier`):
    only the unsettled items, after a pause. The result has no ``transient`` items.
    """
    settled = BulkOutcome()
    pending = writes

    def attempt() -> None:
        nonlocal pending
        outcome = write_listings(es, pending, index)
        settled.applied.extend(outcome.applied)
        settled.stale.extend(outcome.stale)
        settled.rejected.extend(outcome.rejected)
        pending = [write for write, _ in outcome.transient]
        if pending:
            raise BulkRetryNeeded(outcome.transient[0][1])

    retry(attempt, is_transient, what)
    return settled


# --------------------------------------------------------------------------- view counts
def sync_view_counts(
    es: Elasticsearch, alias: str, counts: dict[int, int], *, max_rounds: int = 5
) -> int:
    """Raise each document's ``views`` to the owner's (models-api) absolute count.

    Why not a scripted ``ctx._source.views += n``: every update (``_update``,
    ``_update_by_query``) bumps the document's ``_version`` by one, which would break
    the external versioning above (the next listing event, version N+1, would then be
    refused as stale and lost). Instead this is a read-modify-write that keeps the
    version: re-index the document with ``version_type=external_gte`` and the version
    just read. If the indexer wrote a newer version in between, the write is refused
    (409) and the document is read again. Absolute counts make it idempotent.
    Returns the number of documents changed.
    """
    pending = {listing_id: count for listing_id, count in counts.items() if count >= 0}
    changed = 0
    for _ in range(max_rounds):
        if not pending:
            return changed
        response = es.mget(index=alias, ids=[str(i) for i in sorted(pending)])
        operations: list[dict] = []
        targets: list[int] = []
        for doc in response["docs"]:
            listing_id = int(doc["_id"])
            if not doc.get("found"):
                pending.pop(listing_id, None)  # not indexed (yet): its event carries views
                continue
            source = doc["_source"]
            if source.get("views", 0) >= pending[listing_id]:
                pending.pop(listing_id, None)
                continue
            source["views"] = pending[listing_id]
            operations.append(
                {
                    "index": {
                        "_index": doc["_index"],
                        "_id": doc["_id"],
                        "version": doc["_version"],
                        "version_type": "external_gte",
                    }
                }
            )
            operations.append(source)
            targets.append(listing_id)
        if not operations:
            return changed
        items = es.bulk(operations=operations)["items"]
        for listing_id, item in zip(targets, items, strict=True):
            (result,) = item.values()
            status = int(result.get("status", 500))
            if status < 300:
                changed += 1
                pending.pop(listing_id, None)
            elif status == 409:
                continue  # a newer version landed meanwhile: read it again next round
            elif status == 429 or status >= 500:
                raise BulkRetryNeeded(f"views update of {listing_id}: {_error_text(result)}")
            else:
                logger.error(
                    "views update rejected",
                    extra={"listing_id": listing_id, "error": _error_text(result)},
                )
                pending.pop(listing_id, None)
    if pending:
        logger.warning("views update gave up after conflicts", extra={"ids": sorted(pending)})
    return changed


# --------------------------------------------------------------------------- alias swap
def swap_alias(es: Elasticsearch, alias: str, new_index: str) -> list[str]:
    """Point ``alias`` at ``new_index`` only, in one atomic update_aliases call.

    Returns the indices the alias pointed at before (to be deleted by the caller). A
    concrete index that squats the alias name is removed in the same call.
    """
    old = [index for index in aliased_indices(es, alias) if index != new_index]
    actions: list[dict] = [{"remove": {"index": index, "alias": alias}} for index in old]
    if not old and es.indices.exists(index=alias) and not aliased_indices(es, alias):
        actions.append({"remove_index": {"index": alias}})
    actions.append({"add": {"index": new_index, "alias": alias}})
    es.indices.update_aliases(actions=actions)
    return old
