"""Which listings a search matches: the query rules shared by the search page and alerts.

The experience API's search page (``experience-api/search/queries.py``) builds its
request from these pieces, and the batch alerts worker builds each saved search's
percolator query from the same ones (:func:`listing_query`), so a saved search alerts on
exactly the listings its search page would show. Field names come from
``mpcommon.search_index`` (the indexer writes the same ones). Pure functions, no I/O.
"""

from __future__ import annotations

from decimal import Decimal

TEXT_FIELDS = ("title^3", "description", "category_name")

# Only active listings are ever a search result (CONTRACTS.md).
SEARCHABLE_STATUS = "active"


def normalise_words(q: str) -> str:
    """``q`` lowercased with runs of whitespace collapsed to one space, trimmed.

    The index's text analysis lowercases and splits on whitespace, so the engine
    answers "Brass  LAMP" exactly like "brass lamp".
    """
    return " ".join(q.split()).lower()


def text_query(q: str) -> dict:
    """Full-text relevance over title (boosted), description and category name.

    Every term must match within one field: with typo tolerance (fuzzy
    ``best_fields``: edit distance by term length, first character exact so a short
    query does not match everything), or with the last word as a prefix
    (``bool_prefix``: "vintage cam" while typing). Exact phrases and phrase prefixes
    of the title rank higher. (A ``cross_fields`` alternative, for terms spread over
    fields, was left out when the native engine was an emulator that lacked it; not yet
    re-measured on Elasticsearch.)
    """
    return {
        "bool": {
            "must": [
                {
                    "bool": {
                        "should": [
                            {
                                "multi_match": {
                                    "query": q,
                                    "fields": list(TEXT_FIELDS),
                                    "type": "best_fields",
                                    "fuzziness": "AUTO",
                                    "prefix_length": 1,
                                    "operator": "and",
                                }
                            },
                            {
                                # As-you-type: the last word may be unfinished.
                                "multi_match": {
                                    "query": q,
                                    "fields": list(TEXT_FIELDS),
                                    "type": "bool_prefix",
                                    "operator": "and",
                                }
                            },
                        ],
                        "minimum_should_match": 1,
                    }
                }
            ],
            "should": [
                {"match_phrase": {"title": {"query": q, "boost": 4}}},
                {"match_phrase_prefix": {"title": {"query": q, "boost": 2}}},
            ],
        }
    }


def filter_clauses(
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    category: str | None = None,
    condition: str | None = None,
) -> list[dict]:
    """Filter-context clauses: active listings, the price range (inclusive), and, when
    given, the category and condition (the search page applies its category as a
    ``post_filter`` instead, so that its facets still count the other categories)."""
    clauses: list[dict] = [{"term": {"status": SEARCHABLE_STATUS}}]
    price: dict = {}
    if min_price is not None:
        price["gte"] = float(min_price)
    if max_price is not None:
        price["lte"] = float(max_price)
    if price:
        clauses.append({"range": {"price": price}})
    if category:
        clauses.append({"term": {"category": category}})
    if condition:
        clauses.append({"term": {"condition": condition}})
    return clauses


def listing_query(
    q: str,
    *,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    category: str | None = None,
    condition: str | None = None,
) -> dict:
    """The query a listing matches iff it is a result of the search page for these
    parameters (words normalised like the page does; no words: every active listing
    within the filters)."""
    words = normalise_words(q)
    must = text_query(words) if words else {"match_all": {}}
    return {
        "bool": {
            "must": [must],
            "filter": filter_clauses(
                min_price=min_price, max_price=max_price, category=category, condition=condition
            ),
        }
    }


def saved_search_query(query: str, filters: dict) -> dict:
    """:func:`listing_query` of a saved search as its events carry it (``query`` text,
    ``filters`` with string prices, see ``events.SAVED_SEARCH_EVENT_SCHEMA``).

    Raises ValueError for a price that is not a number (a malformed event).
    """
    return listing_query(
        query,
        min_price=_price(filters.get("min_price")),
        max_price=_price(filters.get("max_price")),
        category=filters.get("category") or None,
        condition=filters.get("condition") or None,
    )


def _price(raw: str | None) -> Decimal | None:
    if raw is None or not str(raw).strip():
        return None
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError as exc:
        raise ValueError(f"price {raw!r} is not a number") from exc
    if not value.is_finite():
        raise ValueError(f"price {raw!r} is not a number")
    return value
