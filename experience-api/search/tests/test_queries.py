from decimal import Decimal

import pytest

from search.queries import (
    MARK_CLOSE,
    MARK_OPEN,
    SearchParams,
    build_search_body,
    cache_variant,
    category_facets,
    normalise_words,
    normalised,
    render_highlight,
    result_card,
    search_response,
)


def must_of(body):
    return body["query"]["bool"]["must"]


class BuildSearchBodyTest:
    def test_words_query_title_boosted_with_typo_tolerance(self):
        body = build_search_body(SearchParams(q="red bike"))
        (text,) = must_of(body)
        alternatives = text["bool"]["must"][0]["bool"]["should"]
        fuzzy = alternatives[0]["multi_match"]
        assert fuzzy["query"] == "red bike"
        assert fuzzy["fields"] == ["title^3", "description", "category_name"]
        assert fuzzy["fuzziness"] == "AUTO"
        assert fuzzy["operator"] == "and"
        assert {a["multi_match"]["type"] for a in alternatives} == {
            "best_fields",
            "bool_prefix",
        }
        boosts = text["bool"]["should"]
        assert {"match_phrase": {"title": {"query": "red bike", "boost": 4}}} in boosts

    def test_empty_query_browses_everything_active(self):
        body = build_search_body(SearchParams())
        assert must_of(body) == [{"match_all": {}}]
        assert body["query"]["bool"]["filter"] == [{"term": {"status": "active"}}]
        assert "highlight" not in body

    def test_price_range_becomes_a_range_filter(self):
        body = build_search_body(SearchParams(min_price=Decimal("5"), max_price=Decimal("20.50")))
        assert {"range": {"price": {"gte": 5.0, "lte": 20.5}}} in body["query"]["bool"]["filter"]

    def test_only_min_price_is_open_ended(self):
        body = build_search_body(SearchParams(min_price=Decimal("5")))
        assert {"range": {"price": {"gte": 5.0}}} in body["query"]["bool"]["filter"]

    def test_category_is_a_post_filter_so_facets_keep_other_categories(self):
        body = build_search_body(SearchParams(q="lamp", category="home"))
        assert body["post_filter"] == {"term": {"category": "home"}}
        assert {"term": {"category": "home"}} not in body["query"]["bool"]["filter"]

    def test_facets_are_a_terms_aggregation_on_category_with_names(self):
        aggs = build_search_body(SearchParams())["aggs"]
        assert aggs["category"]["terms"]["field"] == "category"
        assert aggs["category"]["aggs"]["name"]["terms"]["field"] == "category_name.raw"

    def test_pagination_offsets_by_page(self):
        body = build_search_body(SearchParams(page=3, page_size=20))
        assert (body["from"], body["size"]) == (40, 20)
        assert body["track_total_hits"] is True

    def test_highlight_uses_sentinel_tags(self):
        highlight = build_search_body(SearchParams(q="lamp"))["highlight"]
        assert highlight["pre_tags"] == [MARK_OPEN]
        assert highlight["post_tags"] == [MARK_CLOSE]
        assert set(highlight["fields"]) == {"title", "description"}

    @pytest.mark.parametrize(
        ("sort", "first"),
        [
            ("relevance", {"_score": {"order": "desc"}}),
            ("hot", {"_score": {"order": "desc"}}),
            ("newest", {"created_at": {"order": "desc"}}),
            ("price_asc", {"price": {"order": "asc"}}),
            ("price_desc", {"price": {"order": "desc"}}),
        ],
    )
    def test_every_sort_has_its_key_and_a_stable_tie_break(self, sort, first):
        order = build_search_body(SearchParams(sort=sort))["sort"]
        assert order[0] == first
        assert order[-1] == {"id": {"order": "desc"}}

    def test_hot_combines_relevance_log_views_and_recency(self):
        body = build_search_body(SearchParams(q="lamp", sort="hot"))
        score = body["query"]["function_score"]
        assert score["boost_mode"] == "multiply"
        views, recency = score["functions"]
        assert views["field_value_factor"]["field"] == "views"
        assert views["field_value_factor"]["modifier"] == "log1p"
        assert recency["gauss"]["created_at"]["origin"] == "now"
        assert score["query"]["bool"]["filter"][0] == {"term": {"status": "active"}}

    def test_unknown_sort_is_refused(self):
        with pytest.raises(ValueError):
            build_search_body(SearchParams(sort="cheapest"))


class RenderHighlightTest:
    def test_markup_in_text_is_escaped_and_marks_become_tags(self):
        fragment = f'<b>{MARK_OPEN}lamp{MARK_CLOSE}</b> & "co"'
        assert render_highlight(fragment) == (
            "&lt;b&gt;<mark>lamp</mark>&lt;/b&gt; &amp; &quot;co&quot;"
        )

    def test_stray_sentinels_cannot_unbalance_tags(self):
        assert render_highlight(f"{MARK_CLOSE}a{MARK_OPEN}b{MARK_OPEN}c") == ("a<mark>bc</mark>")

    def test_script_tag_never_survives(self):
        rendered = render_highlight(f"<script>{MARK_OPEN}x{MARK_CLOSE}</script>")
        assert "<script>" not in rendered
        assert rendered.count("<mark>") == rendered.count("</mark>") == 1


def a_hit(**source):
    doc = {
        "id": 1,
        "title": "Brass lamp",
        "description": "Old",
        "category": "home",
        "category_name": "Home & Garden",
        "condition": "good",
        "status": "active",
        "price": 19.9,
        "seller_id": 2,
        "seller_name": "Bo",
        "seller_username": "bo",
        "created_at": "2026-11-21T07:00:00Z",
        "views": 4,
    }
    doc.update(source)
    return {"_id": str(doc["id"]), "_source": doc}


class ResultShapingTest:
    def test_hit_becomes_card_with_two_decimal_price_and_seller(self):
        hit = a_hit()
        hit["highlight"] = {"title": [f"Brass {MARK_OPEN}lamp{MARK_CLOSE}"]}
        card = result_card(hit)
        assert card == {
            "id": 1,
            "title": "Brass lamp",
            "price": "19.90",
            "category": {"slug": "home", "name": "Home & Garden"},
            "condition": "good",
            "status": "active",
            "seller": {"id": 2, "username": "bo", "display_name": "Bo"},
            "view_count": 4,
            "created_at": "2026-11-21T07:00:00Z",
            "cover": None,  # a document indexed before photos existed has none
            "highlight": {"title": "Brass <mark>lamp</mark>"},
        }

    def test_hit_cover_is_the_documents_cover(self):
        cover = {
            "id": 3,
            "position": 0,
            "width": 640,
            "height": 480,
            "url": "/media/" + "a" * 64 + ".jpg",
            "card_url": None,
            "detail_url": None,
        }
        assert result_card(a_hit(cover=cover))["cover"] == cover

    def test_facets_carry_slug_name_and_count(self):
        aggregations = {
            "category": {
                "buckets": [
                    {
                        "key": "home",
                        "doc_count": 3,
                        "name": {"buckets": [{"key": "Home & Garden", "doc_count": 3}]},
                    }
                ]
            }
        }
        assert category_facets(aggregations) == [
            {"slug": "home", "name": "Home & Garden", "count": 3}
        ]

    def test_response_counts_pages_and_caps_them(self):
        raw = {"hits": {"total": {"value": 5000, "relation": "eq"}, "hits": [a_hit()]}}
        response = search_response(SearchParams(q="lamp"), raw, max_page=50)
        assert response["total"] == 5000
        assert response["pages"] == 50
        assert response["query"]["q"] == "lamp"
        assert response["facets"] == {"category": []}


class CacheVariantTest:
    def test_words_are_lowercased_and_whitespace_collapsed(self):
        assert normalise_words("  Brass\t LAMP \n ") == "brass lamp"
        assert normalised(SearchParams(q="Red  Bike", page=2)) == SearchParams(q="red bike", page=2)

    @pytest.mark.parametrize("q", ["Brass Lamp", "brass lamp", " BRASS   lamp ", "brass\tlamp"])
    def test_spellings_of_the_same_words_share_one_entry(self, q):
        assert cache_variant(SearchParams(q=q)) == cache_variant(SearchParams(q="brass lamp"))

    def test_ways_of_writing_a_price_share_one_entry(self):
        a = SearchParams(min_price=Decimal("10"), max_price=Decimal("20.5"))
        b = SearchParams(min_price=Decimal("10.00"), max_price=Decimal("20.50"))
        assert cache_variant(a) == cache_variant(b)

    def test_blank_category_is_no_category(self):
        assert cache_variant(SearchParams(category="")) == cache_variant(SearchParams())

    @pytest.mark.parametrize(
        "other",
        [
            SearchParams(q="brass lamps"),
            SearchParams(q="lamp brass"),
            SearchParams(q="brass lamp", category="home"),
            SearchParams(q="brass lamp", category="Home"),
            SearchParams(q="brass lamp", min_price=Decimal("0")),
            SearchParams(q="brass lamp", max_price=Decimal("10")),
            SearchParams(q="brass lamp", sort="hot"),
            SearchParams(q="brass lamp", page=2),
            SearchParams(q="brass lamp", page_size=10),
        ],
    )
    def test_anything_that_changes_the_results_gets_its_own_entry(self, other):
        assert cache_variant(other) != cache_variant(SearchParams(q="brass lamp"))

    def test_min_and_max_price_are_not_interchangeable(self):
        low = SearchParams(min_price=Decimal("10"))
        high = SearchParams(max_price=Decimal("10"))
        assert cache_variant(low) != cache_variant(high)

    def test_variant_is_a_short_hex_string_for_any_query_text(self):
        variant = cache_variant(SearchParams(q='ünïcode 🚲 "quotes" :colons: *'))
        assert len(variant) == 32
        assert set(variant) <= set("0123456789abcdef")
