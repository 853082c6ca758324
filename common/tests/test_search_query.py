from decimal import Decimal

import pytest

from mpcommon.search_index import (
    LISTINGS_MAPPING,
    PERCOLATOR_FIELD,
    SAVED_SEARCH_FIELDS,
    saved_searches_mapping,
)
from mpcommon.search_query import (
    filter_clauses,
    listing_query,
    normalise_words,
    saved_search_query,
    text_query,
)


class ListingQueryTest:
    def test_no_words_matches_every_active_listing(self):
        assert listing_query("  ") == {
            "bool": {"must": [{"match_all": {}}], "filter": [{"term": {"status": "active"}}]}
        }

    def test_words_normalised_as_the_search_page_does(self):
        query = listing_query("  Brass\t LAMP ")
        assert query["bool"]["must"] == [text_query("brass lamp")]
        assert normalise_words("  Brass\t LAMP ") == "brass lamp"

    def test_every_filter_is_a_filter_clause(self):
        query = listing_query(
            "bike",
            min_price=Decimal("10"),
            max_price=Decimal("99.50"),
            category="bikes",
            condition="good",
        )
        assert query["bool"]["filter"] == [
            {"term": {"status": "active"}},
            {"range": {"price": {"gte": 10.0, "lte": 99.5}}},
            {"term": {"category": "bikes"}},
            {"term": {"condition": "good"}},
        ]

    def test_filter_clauses_without_category_are_the_search_page_filters(self):
        # The search page narrows by category in a post_filter (its facets count the
        # other categories), so its filters are status and price only.
        assert filter_clauses(min_price=Decimal("5")) == [
            {"term": {"status": "active"}},
            {"range": {"price": {"gte": 5.0}}},
        ]

    def test_text_query_every_term_in_one_field_with_typos_or_as_a_prefix(self):
        (clause,) = text_query("red bike")["bool"]["must"]
        fuzzy, prefix = clause["bool"]["should"]
        assert fuzzy["multi_match"]["fuzziness"] == "AUTO"
        assert fuzzy["multi_match"]["operator"] == "and"
        assert prefix["multi_match"]["type"] == "bool_prefix"
        assert clause["bool"]["minimum_should_match"] == 1


class SavedSearchQueryTest:
    def test_string_prices_and_filters_of_the_event(self):
        query = saved_search_query(
            "Bike", {"category": "bikes", "min_price": "10.00", "max_price": "20", "condition": ""}
        )
        assert query == listing_query(
            "bike", min_price=Decimal("10"), max_price=Decimal("20"), category="bikes"
        )

    def test_no_filters(self):
        assert saved_search_query("", {}) == listing_query("")

    @pytest.mark.parametrize("price", ["ten", "NaN", "Infinity", "1e"])
    def test_price_not_a_number_raises_value_error(self, price):
        with pytest.raises(ValueError):
            saved_search_query("bike", {"min_price": price})


class SavedSearchesMappingTest:
    def test_listing_fields_mapped_exactly_as_in_the_listings_index(self):
        mapping = saved_searches_mapping()
        for name, spec in LISTINGS_MAPPING["properties"].items():
            assert mapping["properties"][name] == spec
        assert mapping["properties"]["title"]["analyzer"] == "english"

    def test_percolator_query_and_saved_search_fields(self):
        properties = saved_searches_mapping()["properties"]
        assert properties[PERCOLATOR_FIELD] == {"type": "percolator"}
        assert set(SAVED_SEARCH_FIELDS) <= set(properties)

    def test_without_percolator_no_query_field(self):
        assert PERCOLATOR_FIELD not in saved_searches_mapping(percolator=False)["properties"]
