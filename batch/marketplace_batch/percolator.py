"""The saved-searches index (Elasticsearch 8): percolator documents and matching listings.

One document per saved search, id = the saved search id, whose ``query`` field (type
``percolator``) holds ``mpcommon.search_query.saved_search_query``; the listing fields
are mapped as in the listings index (``search_index.saved_searches_mapping``), so the
engine analyses a percolated listing exactly as it analyses an indexed one.

Matching has two strategies behind one interface (``match(documents)`` -> slot ->
saved search ids):

- :class:`PercolateMatcher`: one ``percolate`` query for a whole batch of listings
  (``documents``), the engine telling which slots each stored query matched.
- :class:`SearchMatcher`, for an engine without the percolator field type (the native
  development node is built from Maven and has only the modules Elastic publishes
  there; see ops/elasticsearch/README.md): the batch is indexed into a small
  candidates index with the listings mapping, and every stored query is run against it
  (``msearch``, restricted to the batch's ids). Same queries, same analysis, same
  answers; its cost grows with the number of saved searches, which suits development.

When an index made without the percolator later finds the engine able to (the module
installed), the ``query`` field is added and every stored search re-indexed with it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, BadRequestError, Elasticsearch

from mpcommon import search_index

from .search import BulkRetryNeeded, is_transient

logger = logging.getLogger(__name__)

PAGE_SIZE = 500  # stored searches read per request (percolate hits, scans)
MSEARCH_CHUNK = 100  # searches per msearch request (SearchMatcher)
QUERY_FIELD = search_index.PERCOLATOR_FIELD
SLOT_FIELD = "_percolator_document_slot"


def candidates_index_name(index: str) -> str:
    """The scratch index of :class:`SearchMatcher` beside ``index``."""
    return f"{index}-candidates"


# --------------------------------------------------------------------------- the index
def _percolator_unknown(exc: ApiError) -> bool:
    """The engine refused the mapping because it has no ``percolator`` field type."""
    text = str(getattr(exc, "body", "") or exc)
    return "[percolator]" in text and "does not exist" in text


def _already_exists(exc: ApiError) -> bool:
    return "resource_already_exists_exception" in str(getattr(exc, "body", "") or exc)


def ensure_saved_searches_index(es: Elasticsearch, index: str) -> bool:
    """Create ``index`` if missing, add the fields its mapping lacks if it exists.

    Returns whether the index has a percolator ``query`` field (False: the engine has
    no percolator; match with :class:`SearchMatcher`). Raises RuntimeError when the
    index has a ``query`` field of another type (delete it, then replay the topic).
    """
    if not es.indices.exists(index=index):
        for percolator in (True, False):
            try:
                es.indices.create(
                    index=index,
                    settings=search_index.SAVED_SEARCHES_SETTINGS,
                    mappings=search_index.saved_searches_mapping(percolator=percolator),
                )
            except BadRequestError as exc:
                if _already_exists(exc):
                    break  # made meanwhile by another worker: extend it below
                if percolator and _percolator_unknown(exc):
                    continue
                raise
            logger.info(
                "created saved-searches index", extra={"index": index, "percolator": percolator}
            )
            return percolator
    return _extend(es, index)


def _extend(es: Elasticsearch, index: str) -> bool:
    present = es.indices.get_mapping(index=index)[index]["mappings"].get("properties", {})
    wanted = search_index.saved_searches_mapping(percolator=False)["properties"]
    missing = {name: spec for name, spec in wanted.items() if name not in present}
    if missing:
        es.indices.put_mapping(index=index, properties=missing)
        logger.info(
            "saved-searches index mapping extended",
            extra={"index": index, "fields": sorted(missing)},
        )
    if QUERY_FIELD in present:
        if present[QUERY_FIELD].get("type") != "percolator":
            raise RuntimeError(
                f"{index!r} has a {QUERY_FIELD!r} field that is not a percolator; delete the "
                "index and reset the alerts-percolator group to rebuild it from the topic"
            )
        return True
    try:
        es.indices.put_mapping(index=index, properties=search_index.PERCOLATOR_MAPPING)
    except BadRequestError as exc:
        if _percolator_unknown(exc):
            return False
        raise
    added = backfill_percolator_queries(es, index)
    logger.info("percolator field added", extra={"index": index, "searches_reindexed": added})
    return True


def stored_searches(es: Elasticsearch, index: str) -> list[dict]:
    """Every stored saved search: ``{"_id", "_source"}`` in id order."""
    found: list[dict] = []
    search_after = None
    while True:
        response = es.search(
            index=index,
            query={"match_all": {}},
            sort=[{"saved_search_id": "asc"}],
            size=PAGE_SIZE,
            search_after=search_after,
            source_excludes=[QUERY_FIELD],
        )
        hits = response["hits"]["hits"]
        found.extend(hits)
        if len(hits) < PAGE_SIZE:
            return found
        search_after = hits[-1]["sort"]


def backfill_percolator_queries(es: Elasticsearch, index: str) -> int:
    """Write the percolator ``query`` of every stored search (from its ``search``)."""
    operations: list[dict] = []
    for hit in stored_searches(es, index):
        source = hit["_source"]
        operations.append({"index": {"_index": index, "_id": hit["_id"]}})
        operations.append({**source, QUERY_FIELD: source["search"]["query_dsl"]})
    if operations:
        response = es.bulk(operations=operations, refresh=True)
        if response.get("errors"):
            raise RuntimeError(f"backfill of {index!r} failed: {response['items'][:3]}")
    return len(operations) // 2


# --------------------------------------------------------------------------- writes
@dataclass(frozen=True)
class SavedSearchWrite:
    """Index (``document``) or delete (None) one saved search's percolator document."""

    saved_search_id: int
    document: dict[str, Any] | None
    source: Any = None  # the Kafka record, for dead-lettering

    @property
    def is_delete(self) -> bool:
        return self.document is None


@dataclass
class WriteOutcome:
    indexed: list[SavedSearchWrite] = field(default_factory=list)
    deleted: list[SavedSearchWrite] = field(default_factory=list)
    rejected: list[tuple[SavedSearchWrite, str]] = field(default_factory=list)


def write_operations(writes: list[SavedSearchWrite], index: str, *, percolator: bool) -> list:
    operations: list[dict] = []
    for write in writes:
        meta = {"_index": index, "_id": str(write.saved_search_id)}
        if write.is_delete:
            operations.append({"delete": meta})
            continue
        document = dict(write.document)
        if not percolator:
            document.pop(QUERY_FIELD, None)  # no such field without the percolator
        operations.append({"index": meta})
        operations.append(document)
    return operations


def _error_text(result: dict) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"[:500]
    return str(error or f"status {result.get('status')}")[:500]


def write_until_settled(
    es: Elasticsearch,
    writes: list[SavedSearchWrite],
    index: str,
    *,
    percolator: bool,
    retry: Callable[..., object],
) -> WriteOutcome:
    """Bulk-write (and refresh, so the next percolation sees them) until every write is
    applied or permanently refused (a query the engine cannot parse: 400). Transient
    failures (429/5xx, the engine unreachable) are sent again through ``retry``."""
    outcome = WriteOutcome()
    pending = list(writes)

    def attempt() -> None:
        nonlocal pending
        if not pending:
            return
        response = es.bulk(
            operations=write_operations(pending, index, percolator=percolator), refresh=True
        )
        items = response["items"]
        if len(items) != len(pending):
            raise BulkRetryNeeded(f"bulk answered {len(items)} items for {len(pending)}")
        again: list[SavedSearchWrite] = []
        for write, item in zip(pending, items, strict=True):
            (result,) = item.values()
            status = int(result.get("status", 500))
            if status < 300 or (status == 404 and write.is_delete):
                (outcome.deleted if write.is_delete else outcome.indexed).append(write)
            elif status == 429 or status >= 500:
                again.append(write)
            else:
                outcome.rejected.append((write, _error_text(result)))
        pending = again
        if pending:
            raise BulkRetryNeeded(f"{len(pending)} saved-search writes failed transiently")

    retry(attempt, is_transient, "write saved searches")
    return outcome


# --------------------------------------------------------------------------- matching
Matches = dict[int, list[int]]  # slot of the percolated document -> saved search ids


class PercolateMatcher:
    """Percolates a batch of listing documents in one request (pages of stored hits)."""

    strategy = "percolate"

    def __init__(self, es: Elasticsearch, index: str):
        self.es = es
        self.index = index

    def prepare(self) -> None:
        """Nothing to set up: the percolator index is the saved-searches index."""

    def match(self, documents: list[dict]) -> Matches:
        matches: dict[int, set[int]] = {}
        if not documents:
            return {}
        search_after = None
        while True:
            response = self.es.search(
                index=self.index,
                # Filter context: no scores needed, and the engine may cache candidates.
                query={
                    "bool": {
                        "filter": [{"percolate": {"field": QUERY_FIELD, "documents": documents}}]
                    }
                },
                sort=[{"saved_search_id": "asc"}],
                size=PAGE_SIZE,
                search_after=search_after,
                source=False,
            )
            hits = response["hits"]["hits"]
            for hit in hits:
                slots = hit.get("fields", {}).get(SLOT_FIELD, [0] if len(documents) == 1 else [])
                for slot in slots:
                    matches.setdefault(int(slot), set()).add(int(hit["_id"]))
            if len(hits) < PAGE_SIZE:
                return {slot: sorted(ids) for slot, ids in matches.items()}
            search_after = hits[-1]["sort"]


class SearchMatcher:
    """Runs every stored query against the batch, indexed in a candidates index."""

    strategy = "search"

    def __init__(self, es: Elasticsearch, index: str, candidates_index: str | None = None):
        self.es = es
        self.index = index
        self.candidates_index = candidates_index or candidates_index_name(index)
        # Candidate ids of this process only: several workers may share the index.
        self.id_prefix = f"{uuid.uuid4().hex[:12]}-"

    def prepare(self) -> None:
        """Create (or extend) the candidates index with the listings mapping."""
        wanted = search_index.LISTINGS_MAPPING
        if not self.es.indices.exists(index=self.candidates_index):
            try:
                self.es.indices.create(
                    index=self.candidates_index,
                    settings=search_index.SAVED_SEARCHES_SETTINGS,
                    mappings=wanted,
                )
                return
            except BadRequestError as exc:
                if not _already_exists(exc):
                    raise
        mapping = self.es.indices.get_mapping(index=self.candidates_index)
        present = mapping[self.candidates_index]["mappings"].get("properties", {})
        missing = {k: v for k, v in wanted["properties"].items() if k not in present}
        if missing:
            self.es.indices.put_mapping(index=self.candidates_index, properties=missing)

    def match(self, documents: list[dict]) -> Matches:
        searches = stored_searches(self.es, self.index) if documents else []
        if not searches:
            return {}
        ids = [f"{self.id_prefix}{slot}" for slot in range(len(documents))]
        operations: list[dict] = []
        for doc_id, document in zip(ids, documents, strict=True):
            operations.append({"index": {"_index": self.candidates_index, "_id": doc_id}})
            operations.append(document)
        response = self.es.bulk(operations=operations, refresh=True)
        if response.get("errors"):
            raise BulkRetryNeeded(f"candidates not indexed: {response['items'][:1]}")
        try:
            return self._run_stored_queries(searches, ids)
        finally:
            # Left-overs would be harmless (every query is restricted to the batch's
            # ids, rewritten by the next batch), but keep the scratch index small.
            self.es.bulk(
                operations=[{"delete": {"_index": self.candidates_index, "_id": i}} for i in ids]
            )

    def _run_stored_queries(self, searches: list[dict], ids: list[str]) -> Matches:
        matches: dict[int, set[int]] = {}
        for start in range(0, len(searches), MSEARCH_CHUNK):
            chunk = searches[start : start + MSEARCH_CHUNK]
            body: list[dict] = []
            for hit in chunk:
                body.append({"index": self.candidates_index})
                body.append(
                    {
                        "query": {
                            "bool": {
                                "must": [hit["_source"]["search"]["query_dsl"]],
                                "filter": [{"ids": {"values": ids}}],
                            }
                        },
                        "size": len(ids),
                        "_source": False,
                    }
                )
            responses = self.es.msearch(searches=body)["responses"]
            for hit, answer in zip(chunk, responses, strict=True):
                if "error" in answer:
                    status = int(answer.get("status", 500))
                    if status == 429 or status >= 500:
                        raise BulkRetryNeeded(f"msearch: {_error_text(answer)}")
                    # A stored query the engine refuses matches nothing; say so.
                    logger.error(
                        "saved search query refused",
                        extra={"saved_search_id": hit["_id"], "error": _error_text(answer)},
                    )
                    continue
                for found in answer["hits"]["hits"]:
                    slot = int(found["_id"].removeprefix(self.id_prefix))
                    matches.setdefault(slot, set()).add(int(hit["_id"]))
        return {slot: sorted(found) for slot, found in matches.items()}
