"""Search request building and result shaping: small pure functions, no I/O.

Field names come from ``mpcommon.search_index`` (the indexer writes the same ones); the
matching rules (text query, filters) from ``mpcommon.search_query``.
The request body follows the Elasticsearch 8 reference: a ``bool`` query whose text
part is a ``multi_match`` with typo tolerance plus phrase boosts, filters in filter
context (cached, unscored), ``function_score`` for the ``hot`` order, the category
filter as a ``post_filter`` so category facets still count the other categories, and
highlights delimited by private-use sentinels that :func:`render_highlight` turns into
escaped HTML with only ``<mark>`` tags.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from dataclasses import dataclass, replace
from decimal import Decimal

from mpcommon.listing_rules import price_string

# Which listings match (words, filters) is shared with the alerts worker's saved
# searches (mpcommon.search_query); this module adds ranking, pages, facets, highlights.
from mpcommon.search_query import filter_clauses, normalise_words, text_query

SORTS = ("relevance", "hot", "newest", "price_asc", "price_desc")

# Private-use code points: cannot be typed in a query, never mistaken for markup.
MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"

FACET_SIZE = 50
DESCRIPTION_FRAGMENT_SIZE = 160

# hot = relevance x (log10(1 + views) + recency); a new listing with no views scores
# about like a week-old one with ~9 views.
HOT_RECENCY_SCALE = "7d"
HOT_RECENCY_OFFSET = "1d"
HOT_RECENCY_DECAY = 0.5


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20

    def echo(self) -> dict:
        """The query as understood, echoed in the response."""
        return {
            "q": self.q,
            "category": self.category,
            "min_price": None if self.min_price is None else price_string(self.min_price),
            "max_price": None if self.max_price is None else price_string(self.max_price),
            "sort": self.sort,
            "page": self.page,
        }


def normalised(params: SearchParams) -> SearchParams:
    """The canonical form of ``params``: what is sent to the engine and cached."""
    return replace(params, q=normalise_words(params.q))


def cache_variant(params: SearchParams) -> str:
    """A short, stable cache key part naming the results page ``params`` asks for.

    Requests that differ only in letter case or whitespace of ``q``, or in how a price
    is written ("10" / "10.0" / "10.00"), share one entry; anything that changes the
    results (words, filters, sort, page, page size) gets its own. Hashed so that any
    query text makes a short key of safe characters.
    """
    canonical = normalised(params)
    identity = {
        "q": canonical.q,
        "category": canonical.category or None,
        "min_price": None if canonical.min_price is None else price_string(canonical.min_price),
        "max_price": None if canonical.max_price is None else price_string(canonical.max_price),
        "sort": canonical.sort,
        "page": canonical.page,
        "page_size": canonical.page_size,
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def filters(params: SearchParams) -> list[dict]:
    """Filters that restrict both the results and the facet counts (the category is a
    ``post_filter``: see :func:`build_search_body`)."""
    return filter_clauses(min_price=params.min_price, max_price=params.max_price)


def base_query(params: SearchParams) -> dict:
    # Without words every listing scores 1 (match_all), not 0 (filters alone), so the
    # hot order can still multiply popularity and recency into it.
    must = text_query(params.q) if params.q else {"match_all": {}}
    return {"bool": {"must": [must], "filter": filters(params)}}


def hot_query(query: dict) -> dict:
    """Relevance combined with popularity (log of views) and a recency decay."""
    return {
        "function_score": {
            "query": query,
            "functions": [
                {
                    "field_value_factor": {
                        "field": "views",
                        "modifier": "log1p",
                        "factor": 1,
                        "missing": 0,
                    }
                },
                {
                    "gauss": {
                        "created_at": {
                            "origin": "now",
                            "scale": HOT_RECENCY_SCALE,
                            "offset": HOT_RECENCY_OFFSET,
                            "decay": HOT_RECENCY_DECAY,
                        }
                    }
                },
            ],
            "score_mode": "sum",
            "boost_mode": "multiply",
        }
    }


def sort_clause(sort: str) -> list:
    """Sort order; every order ends with stable tie-breakers so pages do not overlap."""
    tie_break = [{"created_at": {"order": "desc"}}, {"id": {"order": "desc"}}]
    if sort in ("relevance", "hot"):
        return [{"_score": {"order": "desc"}}, *tie_break]
    if sort == "newest":
        return tie_break
    if sort == "price_asc":
        return [{"price": {"order": "asc"}}, *tie_break]
    if sort == "price_desc":
        return [{"price": {"order": "desc"}}, *tie_break]
    raise ValueError(f"unknown sort {sort!r}")


def highlight_clause(q: str) -> dict:
    """Mark the words as typed (stemmed) and the prefix of the last one.

    The highlight query leaves out the fuzzy expansions the search itself uses: Lucene
    builds a Levenshtein automaton per hit and field to highlight a fuzzy query, which
    made highlighting three quarters of the engine's time per search (a quarter of the
    throughput). A listing found only through a typo comes back without marks.
    """
    fields = ["title", "description"]
    return {
        "highlight_query": {
            "bool": {
                "should": [
                    {"multi_match": {"query": q, "fields": fields}},
                    {"multi_match": {"query": q, "fields": fields, "type": "bool_prefix"}},
                ]
            }
        },
        "pre_tags": [MARK_OPEN],
        "post_tags": [MARK_CLOSE],
        "fields": {
            "title": {"number_of_fragments": 0},
            "description": {"fragment_size": DESCRIPTION_FRAGMENT_SIZE, "number_of_fragments": 1},
        },
    }


def facets_clause() -> dict:
    return {
        "category": {
            "terms": {"field": "category", "size": FACET_SIZE},
            "aggs": {"name": {"terms": {"field": "category_name.raw", "size": 1}}},
        }
    }


def build_search_body(params: SearchParams) -> dict:
    """The complete search request body for ``params``."""
    if params.sort not in SORTS:
        raise ValueError(f"unknown sort {params.sort!r}")
    query = base_query(params)
    if params.sort == "hot":
        query = hot_query(query)
    body: dict = {
        "query": query,
        "sort": sort_clause(params.sort),
        "from": (params.page - 1) * params.page_size,
        "size": params.page_size,
        "track_total_hits": True,
        "aggs": facets_clause(),
    }
    if params.category:
        # post_filter: the results are narrowed, the category facets are not.
        body["post_filter"] = {"term": {"category": params.category}}
    if params.q:
        body["highlight"] = highlight_clause(params.q)
    return body


def render_highlight(fragment: str) -> str:
    """Escape ``fragment`` and turn the sentinels into balanced ``<mark>`` tags.

    The document text is escaped first, so nothing from a listing can become markup;
    stray sentinels (say, one typed into a title) cannot unbalance the tags.
    """
    escaped = html.escape(fragment, quote=True)
    out: list[str] = []
    open_mark = False
    for char in escaped:
        if char == MARK_OPEN:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif char == MARK_CLOSE:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(char)
    if open_mark:
        out.append("</mark>")
    return "".join(out)


def result_card(hit: dict) -> dict:
    """A search hit -> card + ``highlight`` (the document carries everything needed)."""
    doc = hit["_source"]
    highlight = {}
    for field in ("title", "description"):
        fragments = hit.get("highlight", {}).get(field)
        if fragments:
            highlight[field] = render_highlight(" … ".join(fragments))
    return {
        "id": doc["id"],
        "title": doc["title"],
        "price": price_string(doc["price"]),
        "category": {"slug": doc["category"], "name": doc.get("category_name", "")},
        "condition": doc.get("condition"),
        "status": doc.get("status"),
        "seller": {
            "id": doc.get("seller_id"),
            "username": doc.get("seller_username"),
            "display_name": doc.get("seller_name", ""),
        },
        "view_count": doc.get("views", 0),
        "created_at": doc.get("created_at"),
        # The first photo, written by the indexer (mpcommon.search_index); null without
        # photos and in documents indexed before photos existed.
        "cover": doc.get("cover"),
        "highlight": highlight,
    }


def category_facets(aggregations: dict) -> list[dict]:
    buckets = aggregations.get("category", {}).get("buckets", [])
    facets = []
    for bucket in buckets:
        names = bucket.get("name", {}).get("buckets", [])
        facets.append(
            {
                "slug": bucket["key"],
                "name": names[0]["key"] if names else bucket["key"],
                "count": bucket["doc_count"],
            }
        )
    return facets


def total_hits(hits: dict) -> int:
    total = hits.get("total", 0)
    return total["value"] if isinstance(total, dict) else int(total)


def search_response(params: SearchParams, raw: dict, *, max_page: int) -> dict:
    """Shape the engine's raw response as the public search page."""
    total = total_hits(raw["hits"])
    return {
        "query": params.echo(),
        "total": total,
        "page": params.page,
        "page_size": params.page_size,
        "pages": min(max_page, math.ceil(total / params.page_size)),
        "results": [result_card(hit) for hit in raw["hits"]["hits"]],
        "facets": {"category": category_facets(raw.get("aggregations", {}))},
    }
