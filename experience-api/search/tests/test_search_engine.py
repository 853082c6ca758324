"""What the real search engine answers to our queries, through the endpoint: typo
tolerance and as-you-type prefixes, the ``hot`` order, highlights of hostile text,
category facets and pagination (each test indexes its own listings, see ``engine``)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from conftest import a_listing
from search.queries import MARK_CLOSE, MARK_OPEN

URL = "/api/v1/search"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [card["id"] for card in response.json()["results"]]


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def catalogue(engine):
    """A few listings besides the lamp (id 1): a camera, a bike, a chair."""
    engine.index.add(
        a_listing(id=2, title="Vintage camera", description="35mm film, works fine"),
        a_listing(
            id=3,
            title="Red racing bike",
            description="New tyres",
            category={"slug": "sports", "name": "Sports"},
        ),
        a_listing(id=4, title="Oak chair", description="Solid wood"),
    )
    return engine


class TypoToleranceTest:
    @pytest.mark.parametrize(
        ("q", "found"),
        [
            ("camra", [2]),  # a letter missing
            ("camerq", [2]),  # a letter wrong
            ("vintaeg camera", [2]),  # two letters swapped
            ("red bkie", [3]),  # a stemmed word: "racing" would be indexed as "race"
            ("lamp", [1]),
            ("cameras", [2]),  # the english analyzer stems plurals
        ],
    )
    def test_words_with_a_typo_find_the_listing(self, api, catalogue, q, found):
        assert ids(api.get(URL, {"q": q})) == found

    def test_words_as_typed_are_marked_a_typo_is_found_but_not_marked(self, api, catalogue):
        # Highlighting fuzzy expansions costs a Levenshtein automaton per hit and field.
        (exact,) = api.get(URL, {"q": "vintage cam"}).json()["results"]
        assert exact["highlight"]["title"] == "<mark>Vintage</mark> <mark>camera</mark>"
        (typo,) = api.get(URL, {"q": "camra"}).json()["results"]
        assert typo["id"] == 2
        assert "<mark>" not in typo.get("highlight", {}).get("title", "")

    def test_first_letter_must_be_right(self, api, catalogue):
        # prefix_length 1: "kamera" is one edit from "camera", but not a fuzzy match.
        assert ids(api.get(URL, {"q": "kamera"})) == []

    def test_every_word_must_match(self, api, catalogue):
        assert ids(api.get(URL, {"q": "vintage bike"})) == []

    def test_description_and_category_name_are_searched(self, api, catalogue):
        assert ids(api.get(URL, {"q": "tyres"})) == [3]
        assert ids(api.get(URL, {"q": "sports"})) == [3]

    def test_title_match_ranks_above_description_match(self, api, catalogue):
        catalogue.index.add(a_listing(id=5, title="Film scanner", description="For a camera"))
        assert ids(api.get(URL, {"q": "camera"})) == [2, 5]


class AsYouTypeTest:
    @pytest.mark.parametrize(
        ("q", "found"),
        [
            ("vint", [2]),
            ("vintage cam", [2]),
            ("red racing b", [3]),
            ("oa", [4]),
        ],
    )
    def test_unfinished_last_word_matches_as_a_prefix(self, api, catalogue, q, found):
        assert ids(api.get(URL, {"q": q})) == found

    def test_only_the_last_word_may_be_unfinished(self, api, catalogue):
        assert ids(api.get(URL, {"q": "vin camera"})) == []


class HotOrderTest:
    @pytest.fixture
    def lamps(self, engine):
        """Three lamps alike but for age and views (id 1, the default lamp, is removed)."""
        engine.index.remove(1)
        engine.index.add(
            a_listing(id=10, title="Desk lamp", created_at=days_ago(0.1), view_count=0),
            a_listing(id=11, title="Desk lamp", created_at=days_ago(10), view_count=1000),
            a_listing(id=12, title="Desk lamp", created_at=days_ago(60), view_count=0),
        )
        return engine

    def test_hot_puts_a_popular_listing_before_newer_ones(self, api, lamps):
        assert ids(api.get(URL, {"q": "desk lamp", "sort": "hot"})) == [11, 10, 12]

    def test_relevance_and_newest_ignore_views(self, api, lamps):
        # Equal relevance: the tie-break is the newest first.
        assert ids(api.get(URL, {"q": "desk lamp"})) == [10, 11, 12]
        assert ids(api.get(URL, {"q": "desk lamp", "sort": "newest"})) == [10, 11, 12]

    def test_hot_without_words_ranks_every_active_listing(self, api, lamps):
        assert ids(api.get(URL, {"sort": "hot"})) == [11, 10, 12]

    def test_more_views_rank_higher_at_the_same_age(self, api, engine):
        engine.index.remove(1)
        week_ago = days_ago(7)
        engine.index.add(
            *(
                a_listing(id=20 + n, title="Reading lamp", created_at=week_ago, view_count=views)
                for n, views in enumerate((3, 300, 30))
            )
        )
        assert ids(api.get(URL, {"q": "reading lamp", "sort": "hot"})) == [21, 22, 20]


# Markup of every kind a seller could type; the sentinels too (private-use code points).
HOSTILE_TITLE = f'<script>alert("pwned")</script> Brass lamp <b onclick=x()>bold</b> {MARK_CLOSE}'
HOSTILE_DESCRIPTION = "<img src=x onerror=alert(1)> a lamp &amp; \"quotes\" 'apostrophes'"


def markup_of(fragment: str) -> list[str]:
    """Every tag in ``fragment`` (the only ones allowed are ``<mark>`` and ``</mark>``)."""
    return re.findall(r"<[^>]*>", fragment)


class HostileHighlightTest:
    @pytest.fixture
    def hostile(self, engine):
        engine.index.remove(1)
        engine.index.add(a_listing(id=7, title=HOSTILE_TITLE, description=HOSTILE_DESCRIPTION))
        return engine

    def test_markup_in_titles_comes_back_escaped_with_only_mark_tags(self, api, hostile):
        (card,) = api.get(URL, {"q": "lamp"}).json()["results"]
        title = card["highlight"]["title"]
        assert set(markup_of(title)) <= {"<mark>", "</mark>"}
        assert title.count("<mark>") == title.count("</mark>") >= 1
        assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in title
        assert "Brass <mark>lamp</mark>" in title
        assert MARK_OPEN not in title and MARK_CLOSE not in title

    def test_markup_in_descriptions_comes_back_escaped(self, api, hostile):
        (card,) = api.get(URL, {"q": "lamp"}).json()["results"]
        description = card["highlight"]["description"]
        assert markup_of(description) == ["<mark>", "</mark>"]
        assert description.startswith("&lt;img src=x onerror=alert(1)&gt;")
        assert "&amp;amp;" in description  # the text's own entity, escaped once more

    def test_searching_for_markup_highlights_only_words(self, api, hostile):
        (card,) = api.get(URL, {"q": "<script> alert"}).json()["results"]
        title = card["highlight"]["title"]
        assert set(markup_of(title)) <= {"<mark>", "</mark>"}
        assert re.search(r"<mark>[^<]*alert[^<]*</mark>", title), title

    def test_card_title_is_the_raw_text_for_the_template_to_escape(self, api, hostile):
        (card,) = api.get(URL, {"q": "lamp"}).json()["results"]
        assert card["title"] == HOSTILE_TITLE


class CategoryFacetsTest:
    @pytest.fixture
    def shop(self, engine):
        sports = {"slug": "sports", "name": "Sports & Outdoors"}
        engine.index.add(
            a_listing(id=2, title="Table lamp", price="30.00"),
            a_listing(id=3, title="Camping lamp", category=sports, price="15.00"),
            a_listing(id=4, title="Head lamp", category=sports, price="8.00"),
            a_listing(id=5, title="Bike lamp", category=sports, price="9.00", status="sold"),
            a_listing(id=6, title="Garden chair", price="40.00"),
        )
        return engine

    def facets(self, response) -> list[dict]:
        assert response.status_code == 200
        return response.json()["facets"]["category"]

    def test_facets_count_the_matching_active_listings_per_category(self, api, shop):
        assert self.facets(api.get(URL, {"q": "lamp"})) == [
            {"slug": "home", "name": "Home & Garden", "count": 2},
            {"slug": "sports", "name": "Sports & Outdoors", "count": 2},
        ]

    def test_category_filter_narrows_results_but_not_facets(self, api, shop):
        response = api.get(URL, {"q": "lamp", "category": "sports"})
        assert sorted(ids(response)) == [3, 4]
        assert response.json()["total"] == 2
        assert [(f["slug"], f["count"]) for f in self.facets(response)] == [
            ("home", 2),
            ("sports", 2),
        ]

    def test_price_filter_narrows_facets_too(self, api, shop):
        response = api.get(URL, {"q": "lamp", "max_price": "20"})
        assert sorted(ids(response)) == [1, 3, 4]  # the brass lamp is 12.50
        assert [(f["slug"], f["count"]) for f in self.facets(response)] == [
            ("sports", 2),
            ("home", 1),
        ]

    def test_sold_listings_are_neither_found_nor_counted(self, api, shop):
        response = api.get(URL, {"q": "bike lamp"})
        assert ids(response) == []
        assert self.facets(response) == []


class PaginationTest:
    @pytest.fixture
    def candles(self, engine):
        engine.index.add(
            *(a_listing(id=100 + n, title=f"Candle number {n}", price="2.00") for n in range(25))
        )
        return engine

    def test_pages_cover_every_result_once(self, api, candles):
        first = api.get(URL, {"q": "candle", "sort": "price_asc"}).json()
        second = api.get(URL, {"q": "candle", "sort": "price_asc", "page": 2}).json()
        assert (first["total"], first["pages"], len(first["results"])) == (25, 2, 20)
        assert (second["page"], len(second["results"])) == (2, 5)
        seen = [card["id"] for card in first["results"] + second["results"]]
        assert sorted(seen) == list(range(100, 125))  # equal prices: no overlap, no gap

    @pytest.mark.parametrize("page", [3, 50])
    def test_page_past_the_end_is_empty_with_the_real_total(self, api, candles, page):
        response = api.get(URL, {"q": "candle", "page": page})
        assert response.status_code == 200
        body = response.json()
        assert (body["results"], body["total"], body["pages"], body["page"]) == ([], 25, 2, page)
        assert [(f["slug"], f["count"]) for f in body["facets"]["category"]] == [("home", 25)]

    def test_page_past_the_cap_is_refused(self, api, candles):
        response = api.get(URL, {"q": "candle", "page": 51})
        assert response.status_code == 400
        assert "page" in response.json()["fields"]
