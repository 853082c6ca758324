"""The search index definition: alias, settings, mapping and the listing document.

The batch indexer writes documents through :data:`LISTINGS_ALIAS` and the experience
API queries the same alias, so a full re-index can build a new concrete index and swap
the alias atomically (no downtime). Field names used by queries live here too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

LISTINGS_ALIAS = "listings"
INDEX_PREFIX = "listings-v1-"

_text_with_keyword = {
    "type": "text",
    "analyzer": "english",
    "fields": {"raw": {"type": "keyword", "ignore_above": 256}},
}
# Offsets in the postings let the unified highlighter find the matches (fuzzy and prefix
# ones included) without re-analysing each hit's text: search pages highlight both fields.
_highlighted_text = {**_text_with_keyword, "index_options": "offsets"}

# gc_deletes: a deleted listing's version is remembered for an hour (default 60 s), so a
# replayed, older "created" is refused as stale instead of bringing the listing back.
LISTINGS_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "gc_deletes": "1h"}

LISTINGS_MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "long"},
        "title": _highlighted_text,
        "description": {"type": "text", "analyzer": "english", "index_options": "offsets"},
        "category": {"type": "keyword"},
        "category_name": _text_with_keyword,
        "condition": {"type": "keyword"},
        "status": {"type": "keyword"},
        "price": {"type": "scaled_float", "scaling_factor": 100},
        "seller_id": {"type": "long"},
        "seller_name": _text_with_keyword,
        # The username completes the seller of a result card ({"id", "username", "display_name"}).
        "seller_username": {"type": "keyword"},
        "created_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "views": {"type": "long"},
        "version": {"type": "long"},
        # The first photo (events.PHOTO_SCHEMA) or null: stored for result cards, not
        # searchable (no field of it is indexed, so its shape may grow freely).
        "cover": {"type": "object", "enabled": False},
    },
}


def new_index_name(now: datetime | None = None) -> str:
    """A fresh concrete index name, e.g. ``listings-v1-20261121t070000123456``."""
    now = now or datetime.now(UTC)
    return INDEX_PREFIX + now.strftime("%Y%m%dt%H%M%S%f")


def listing_document(listing: dict) -> dict:
    """The search document of a listing (as carried by listing events / models-api).

    It holds everything a results page shows, so a search needs no further calls:
    ``cover`` is the first of the listing's ``photos`` (null without any, and for
    events from before photos existed).
    """
    seller = listing["seller"]
    photos = listing.get("photos") or []
    category = listing["category"]
    return {
        "id": listing["id"],
        "title": listing["title"],
        "description": listing["description"],
        "category": category["slug"],
        "category_name": category["name"],
        "condition": listing["condition"],
        "status": listing["status"],
        "price": float(Decimal(str(listing["price"]))),
        "seller_id": seller["id"],
        "seller_name": seller.get("display_name") or seller["username"],
        "seller_username": seller["username"],
        "created_at": listing["created_at"],
        "updated_at": listing["updated_at"],
        "views": listing.get("view_count", 0),
        "version": listing["version"],
        "cover": photos[0] if photos else None,
    }


# ------------------------------------------------------------------ saved searches
# The alerts worker's percolator index (docs/accounts-and-notifications.md): one
# document per saved search (id = saved search id) whose ``query`` is the search's
# ``search_query.saved_search_query``. A percolate query parses the listings it is
# given with this index's mapping, so the listing fields are mapped here exactly as in
# the listings index (same types, same analyzers): a saved search then matches a
# listing exactly when the search page would show it.
SAVED_SEARCHES_INDEX = "saved-searches"
PERCOLATOR_FIELD = "query"
SAVED_SEARCHES_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}

SAVED_SEARCH_FIELDS = {
    "saved_search_id": {"type": "long"},
    "user_id": {"type": "long"},
    # What the query was built from ({"query", "filters", "query_dsl"}): kept, not
    # searched, so the index can be rebuilt or re-queried without the topic.
    "search": {"type": "object", "enabled": False},
}
PERCOLATOR_MAPPING = {PERCOLATOR_FIELD: {"type": "percolator"}}


def saved_searches_mapping(*, percolator: bool = True) -> dict:
    """The saved-searches index mapping: the listing fields, the saved search's own and
    (where the engine has the percolator field type) the percolator ``query``."""
    properties = {**LISTINGS_MAPPING["properties"], **SAVED_SEARCH_FIELDS}
    if percolator:
        properties.update(PERCOLATOR_MAPPING)
    return {"dynamic": "strict", "properties": properties}
