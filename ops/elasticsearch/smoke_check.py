"""Smoke-check a running node with the official client, the project's mapping and queries.

    .venv/bin/python ops/elasticsearch/smoke_check.py [http://127.0.0.1:9200]

Creates and deletes its own indices (``smoke-*``); prints one line per check and exits
non-zero if any check the marketplace depends on fails. ``update_by_query`` with a
Painless script is reported, not required: the marketplace does not use it (see
batch/marketplace_batch/search.py, sync_view_counts) and this node has no Painless.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "common"), str(ROOT / "batch"), str(ROOT / "experience-api")]

from elasticsearch import ApiError, Elasticsearch  # noqa: E402
from search import queries  # noqa: E402  (experience-api/search/queries.py: pure functions)

from marketplace_batch import search as batch_search  # noqa: E402
from mpcommon import search_index  # noqa: E402

failures: list[str] = []


def check(name: str, condition: bool, detail: object = "") -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {name}" + (f"  ({detail})" if detail else ""))
    if not condition:
        failures.append(name)


def hits(response) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


def generic_checks(es: Elasticsearch) -> None:
    index = "smoke-generic"
    es.indices.delete(index=index, ignore_unavailable=True)
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={
            "properties": {
                "title": {"type": "text", "analyzer": "english"},
                "tag": {"type": "keyword"},
                "views": {"type": "long"},
                "created_at": {"type": "date"},
                "price": {"type": "scaled_float", "scaling_factor": 100},
            }
        },
    )
    now = datetime.now(UTC)
    docs = [
        ("1", "Running shoes for trail runners", "sport", 120, now - timedelta(days=1), 59.99),
        ("2", "Vintage brass lamp", "home", 3, now - timedelta(days=40), 25.5),
        ("3", "Brass lamps, a pair", "home", 50, now - timedelta(days=2), 40.0),
        ("4", "Camera tripod", "photo", 0, now, 0.07),
    ]
    operations = []
    for _id, title, tag, views, created, price in docs:
        operations.append({"index": {"_index": index, "_id": _id}})
        operations.append(
            {
                "title": title,
                "tag": tag,
                "views": views,
                "created_at": created.isoformat(),
                "price": price,
            }
        )
    bulk = es.bulk(operations=operations, refresh=True)
    check("bulk index", bulk["errors"] is False, f"{len(bulk['items'])} items")

    tokens = [
        t["token"]
        for t in es.indices.analyze(index=index, field="title", text="Running lamps")["tokens"]
    ]
    check("english analyzer stems", tokens == ["run", "lamp"], tokens)

    r = es.search(
        index=index,
        query={"multi_match": {"query": "brss lmap", "fields": ["title"], "fuzziness": "AUTO"}},
    )
    check("multi_match fuzziness AUTO", set(hits(r)) == {"2", "3"}, hits(r))

    r = es.search(index=index, query={"match_phrase_prefix": {"title": "vintage bra"}})
    check("match_phrase_prefix", hits(r) == ["2"], hits(r))

    r = es.search(
        index=index,
        query={"match": {"title": "lamp"}},
        highlight={"pre_tags": ["<m>"], "post_tags": ["</m>"], "fields": {"title": {}}},
    )
    marks = [h["highlight"]["title"][0] for h in r["hits"]["hits"]]
    check("highlight", all("<m>" in m for m in marks) and len(marks) == 2, marks)

    r = es.search(index=index, size=0, aggs={"tags": {"terms": {"field": "tag"}}})
    buckets = {b["key"]: b["doc_count"] for b in r["aggregations"]["tags"]["buckets"]}
    check("terms aggregation", buckets == {"home": 2, "sport": 1, "photo": 1}, buckets)

    r = es.search(
        index=index,
        query={
            "function_score": {
                "query": {"match_all": {}},
                "functions": [
                    {"field_value_factor": {"field": "views", "modifier": "log1p", "missing": 0}},
                    {
                        "gauss": {
                            "created_at": {
                                "origin": "now",
                                "scale": "7d",
                                "offset": "1d",
                                "decay": 0.5,
                            }
                        }
                    },
                ],
                "score_mode": "sum",
                "boost_mode": "multiply",
            }
        },
    )
    check("function_score field_value_factor + gauss(date)", hits(r)[:2] == ["1", "3"], hits(r))

    r = es.search(
        index=index, query={"range": {"price": {"gte": 0.07, "lte": 40}}}, sort=[{"price": "asc"}]
    )
    sort_values = [h["sort"][0] for h in r["hits"]["hits"]]
    check(
        "scaled_float range + sort",
        hits(r) == ["4", "2", "3"] and sort_values == [0.07, 25.5, 40.0],
        sort_values,
    )
    r = es.search(
        index=index,
        size=0,
        aggs={"avg": {"avg": {"field": "price"}}, "max": {"max": {"field": "price"}}},
    )
    check(
        "scaled_float aggregations",
        round(r["aggregations"]["avg"]["value"], 4) == 31.39
        and r["aggregations"]["max"]["value"] == 59.99,
        r["aggregations"],
    )
    mapping = es.indices.get_mapping(index=index)[index]["mappings"]["properties"]["price"]
    check(
        "scaled_float mapping round-trips",
        mapping == {"type": "scaled_float", "scaling_factor": 100.0},
        mapping,
    )

    es.indices.put_alias(index=index, name="smoke-alias")
    es.indices.create(
        index="smoke-generic-2", settings={"number_of_shards": 1, "number_of_replicas": 0}
    )
    es.indices.update_aliases(
        actions=[
            {"remove": {"index": index, "alias": "smoke-alias"}},
            {"add": {"index": "smoke-generic-2", "alias": "smoke-alias"}},
        ]
    )
    swapped = sorted(es.indices.get_alias(name="smoke-alias").body)
    check("alias create + update_aliases swap", swapped == ["smoke-generic-2"], swapped)

    try:
        r = es.update_by_query(
            index=index,
            script={
                "source": "ctx._source.views += params.n",
                "lang": "painless",
                "params": {"n": 1},
            },
            refresh=True,
        )
        print(f"ok   update_by_query with painless  ({r['updated']} updated)")
    except ApiError as exc:
        print(f"n/a  update_by_query with painless  (not on this node: {exc.meta.status})")

    es.indices.refresh(index=index)
    es.indices.delete(index=[index, "smoke-generic-2"])
    check("refresh + delete index", not es.indices.exists(index=index))


def listing(
    i: int, title: str, description: str, category: str, price: str, views: int, days_old: int
) -> dict:
    created = (datetime.now(UTC) - timedelta(days=days_old)).isoformat()
    return {
        "id": i,
        "title": title,
        "description": description,
        "category": {"slug": category, "name": category.title()},
        "condition": "used",
        "status": "active",
        "price": price,
        "seller": {"id": 7, "username": "ann", "display_name": "Ann"},
        "created_at": created,
        "updated_at": created,
        "view_count": views,
        "version": 1,
    }


def project_checks(es: Elasticsearch) -> None:
    alias = "smoke-listings"
    for name in batch_search.aliased_indices(es, alias):
        es.indices.delete(index=name)
    created = batch_search.ensure_listings_index(es, alias)
    check("project mapping (mpcommon.search_index) + alias", created is not None, created)
    index = created

    rows = [
        listing(
            1,
            "Vintage film camera",
            "A working 35mm camera with its leather case.",
            "cameras",
            "120.00",
            40,
            2,
        ),
        listing(
            2, "Brass desk lamp", "Heavy brass lamp, rewired, warm light.", "home", "35.50", 3, 30
        ),
        listing(
            3, "Camera lens 50mm", "Sharp prime lens for vintage cameras.", "cameras", "80.00", 0, 0
        ),
        listing(4, "Running shoes", "Trail running shoes, size 42.", "sport", "19.99", 12, 5),
    ]
    writes = [
        batch_search.ListingWrite(r["id"], r["version"], search_index.listing_document(r))
        for r in rows
    ]
    outcome = batch_search.write_listings(es, writes, alias)
    check(
        "bulk with external versioning",
        len(outcome.applied) == 4,
        f"applied {len(outcome.applied)}",
    )
    stale = batch_search.write_listings(es, writes[:1], alias)
    check("stale version is refused (409)", len(stale.stale) == 1)
    es.indices.refresh(index=alias)

    changed = batch_search.sync_view_counts(es, alias, {1: 41, 2: 3})
    check("sync_view_counts (mget + external_gte)", changed == 1, changed)
    es.indices.refresh(index=alias)
    check("count", es.count(index=alias)["count"] == 4)

    def run(**params) -> dict:
        p = queries.normalised(queries.SearchParams(**params))
        raw = es.search(index=alias, body=queries.build_search_body(p)).body
        return queries.search_response(p, raw, max_page=50)

    r = run(q="vintge camra")
    ids = [c["id"] for c in r["results"]]
    check("search: typo-tolerant relevance", ids[:1] == [1] and 3 in ids, ids)
    check(
        "search: highlight renders <mark>",
        "<mark>" in r["results"][0]["highlight"].get("title", ""),
        r["results"][0]["highlight"],
    )
    facets = {f["slug"]: (f["name"], f["count"]) for f in r["facets"]["category"]}
    check("search: category facets", facets == {"cameras": ("Cameras", 2)}, facets)

    r = run(q="vintage cam")
    check(
        "search: as-you-type (bool_prefix)",
        [c["id"] for c in r["results"]][:1] == [1],
        [c["id"] for c in r["results"]],
    )

    r = run(q="camera", category="cameras", sort="price_asc")
    check(
        "search: post_filter + price sort",
        [c["id"] for c in r["results"]] == [3, 1],
        [c["id"] for c in r["results"]],
    )
    check(
        "search: price string from scaled_float doc",
        r["results"][0]["price"] == "80.00",
        r["results"][0]["price"],
    )

    r = run(min_price=Decimal("19.99"), max_price=Decimal("35.5"), sort="price_desc")
    check(
        "search: price range filter on scaled_float",
        [c["id"] for c in r["results"]] == [2, 4],
        [c["id"] for c in r["results"]],
    )

    r = run(sort="hot")
    check(
        "search: hot (function_score)",
        [c["id"] for c in r["results"]][:1] == [1],
        [c["id"] for c in r["results"]],
    )
    r = run(sort="newest")
    check(
        "search: newest", [c["id"] for c in r["results"]][0] == 3, [c["id"] for c in r["results"]]
    )

    new_index = batch_search.concrete_index_name(alias)
    batch_search.create_listings_index(es, new_index)
    old = batch_search.swap_alias(es, alias, new_index)
    check(
        "swap_alias (update_aliases)",
        old == [index] and batch_search.aliased_indices(es, alias) == [new_index],
        old,
    )
    es.indices.delete(index=[index, new_index])


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9200"
    es = Elasticsearch(url, request_timeout=30)
    info = es.info()
    version = info["version"]["number"]
    check("banner version 8.x", version.startswith("8."), version)
    check("banner tagline", info["tagline"] == "You Know, for Search", info["tagline"])
    check("X-elastic-product header", info.meta.headers.get("x-elastic-product") == "Elasticsearch")
    started = time.monotonic()
    generic_checks(es)
    project_checks(es)
    print(
        f"{len(failures)} failed, in {time.monotonic() - started:.1f}s"
        + (f": {failures}" if failures else "")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
