"""The search results page, through Django's test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conftest import make_card


def search_body(**overrides) -> dict:
    body = {
        "query": {"q": "lamp"},
        "total": 2,
        "page": 1,
        "page_size": 20,
        "pages": 1,
        "results": [
            make_card(
                id=11,
                title="Brass lamp",
                price="45",
                highlight={"title": "Brass <mark>lamp</mark>"},
            ),
            make_card(
                id=12,
                title="Desk light",
                price="1200",
                highlight={"description": "A reading <mark>lamp</mark> &amp; shade"},
            ),
        ],
        "facets": {
            "category": [
                {"slug": "furniture", "name": "Furniture", "count": 1234},
                {"slug": "electronics", "name": "Electronics", "count": 1},
            ]
        },
    }
    body.update(overrides)
    return body


class SearchPageTest:
    def test_results_link_to_listings_with_highlights_and_prices(self, client, api):
        api.get("search", search_body())

        response = client.get("/search/?q=lamp")

        assert response.status_code == 200
        html = response.content.decode()
        assert 'href="/listings/11/"' in html and 'href="/listings/12/"' in html
        assert "Brass <mark>lamp</mark>" in html
        assert "A reading <mark>lamp</mark> &amp; shade" in html  # not double-escaped
        assert "$45.00" in html and "$1,200.00" in html
        assert "2 listings" in html
        assert "<h1" in html and "Results for “lamp”" in html
        # The header box is prefilled with the query.
        assert 'id="header-q" name="q" value="lamp"' in html

    def test_params_forwarded_to_api(self, client, api):
        api.get("search", search_body())

        client.get(
            "/search/?q=lamp&category=furniture&min_price=10&max_price=99.5&sort=price_asc&page=2"
        )

        sent = parse_qs(urlsplit(api.calls_to("GET", "search")[0].request.url).query)
        assert sent == {
            "q": ["lamp"],
            "category": ["furniture"],
            "min_price": ["10.00"],
            "max_price": ["99.50"],
            "sort": ["price_asc"],
            "page": ["2"],
        }

    def test_facets_show_counts_and_links_keep_query(self, client, api):
        api.get("search", search_body())

        html = client.get("/search/?q=lamp&sort=newest&page=3").content.decode()

        assert "1,234" in html
        assert 'href="?q=lamp&amp;sort=newest&amp;category=furniture"' in html

    def test_selected_category_marked_and_removable(self, client, api):
        api.get("search", search_body())

        html = client.get("/search/?q=lamp&category=furniture").content.decode()

        assert 'aria-current="true"' in html
        assert "in Furniture" in html
        assert 'href="?q=lamp">All categories' in html
        assert '<input type="hidden" name="category" value="furniture">' in html

    def test_pagination_links_preserve_params(self, client, api):
        api.get("search", search_body(total=95, page=2, pages=5))

        html = client.get("/search/?q=lamp&category=furniture&page=2").content.decode()

        assert 'href="?q=lamp&amp;category=furniture&amp;page=3" rel="next"' in html
        assert 'href="?q=lamp&amp;category=furniture&amp;page=1" rel="prev"' in html
        assert 'href="?q=lamp&amp;category=furniture&amp;page=5"' in html
        assert 'aria-current="page"><span class="page-link">2<' in html

    def test_sort_select_shows_current_choice(self, client, api):
        api.get("search", search_body())

        html = client.get("/search/?q=lamp&sort=price_desc").content.decode()

        assert '<option value="price_desc" selected>' in html
        assert 'for="id_sort"' in html

    def test_no_results_message(self, client, api):
        api.get("search", search_body(total=0, pages=0, results=[], facets={"category": []}))

        response = client.get("/search/?q=zzzz")

        assert response.status_code == 200
        assert "No listings match “zzzz”" in response.content.decode()

    def test_invalid_filters_shown_and_not_sent(self, client, api):
        api.get("search", search_body())

        response = client.get("/search/?q=lamp&min_price=abc&max_price=-1&sort=bogus&page=0")

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_min_price_error"' in html and 'id="id_max_price_error"' in html
        sent = parse_qs(urlsplit(api.calls_to("GET", "search")[0].request.url).query)
        assert sent == {"q": ["lamp"], "page": ["1"]}

    def test_min_above_max_rejected(self, client, api):
        api.get("search", search_body())

        html = client.get("/search/?min_price=50&max_price=10").content.decode()

        assert "at least the minimum" in html
        sent = parse_qs(urlsplit(api.calls_to("GET", "search")[0].request.url).query)
        assert "max_price" not in sent and sent["min_price"] == ["50.00"]

    def test_hostile_highlight_is_escaped(self, client, api):
        card = make_card(
            id=13,
            title="x",
            highlight={
                "title": '<script>alert(1)</script><mark>ok</mark><img src=x onerror="y">',
                "description": "<mark>unclosed &lt;b&gt;",
            },
        )
        api.get("search", search_body(results=[card]))

        html = client.get("/search/?q=ok").content.decode()

        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>ok</mark>&lt;img" in html
        assert "<mark>unclosed &lt;b&gt;</mark>" in html

    def test_search_unavailable_says_so_and_page_still_renders(self, client, api):
        api.get(
            "search",
            {"error": "search_unavailable", "detail": "Search engine down."},
            status=503,
        )

        response = client.get("/search/?q=lamp")

        assert response.status_code == 200  # see search/views.py: HAProxy retries 503s
        assert response["X-Search-Unavailable"] == "1"
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert "Search is unavailable right now" in html
        assert 'id="header-q"' in html and "<footer" in html  # the rest of the page works

    def test_logged_in_header_shows_username(self, logged_in, api):
        api.get("search", search_body())

        html = logged_in.get("/search/?q=lamp").content.decode()

        assert 'data-testid="current-username">alice<' in html

    def test_experience_api_down_gives_503_page(self, client, api):
        api.down("GET", "search")

        response = client.get("/search/?q=lamp")

        assert response.status_code == 503
        assert "having a little trouble" in response.content.decode()

    def test_empty_query_browses_everything(self, client, api):
        api.get("search", search_body(query={}))

        response = client.get("/search/")

        assert response.status_code == 200
        assert "All listings" in response.content.decode()

    def test_page_past_the_end_says_so_and_links_back(self, client, api):
        # Regression: "2 listings" above "No listings match".
        api.get("search", search_body(results=[], page=2, pages=1))

        html = client.get("/search/?q=lamp&page=2").content.decode()

        assert "No listings match" not in html
        assert "2 listings" in html
        assert "No more results on page 2" in html
        assert 'href="?q=lamp">Back to page 1</a>' in html

    def test_page_past_the_end_of_several_links_to_the_last_page(self, client, api):
        api.get("search", search_body(results=[], total=95, page=9, pages=5))

        html = client.get("/search/?q=lamp&sort=newest&page=9").content.decode()

        assert 'href="?q=lamp&amp;sort=newest&amp;page=5">Go to the last page (5)</a>' in html
        assert 'href="?q=lamp&amp;sort=newest">Back to page 1</a>' in html
        assert "No listings match" not in html

    def test_page_beyond_cap_shown_and_not_sent(self, client, api):
        api.get("search", search_body())

        html = client.get("/search/?q=lamp&page=51").content.decode()

        assert "Page: Ensure this value is less than or equal to 50." in html
        sent = parse_qs(urlsplit(api.calls_to("GET", "search")[0].request.url).query)
        assert sent["page"] == ["1"]

    def test_api_validation_errors_shown_on_the_page(self, client, api):
        api.get(
            "search",
            {
                "error": "validation_failed",
                "detail": "Invalid input.",
                "fields": {"min_price": ["Must not exceed max_price."], "q": ["Too odd."]},
            },
            status=400,
        )

        response = client.get("/search/?q=lamp&min_price=5")

        assert response.status_code == 200
        html = response.content.decode()
        assert 'id="id_min_price_error"' in html and "Must not exceed max_price." in html
        assert "Search for: Too odd." in html
        assert "No listings match" in html
