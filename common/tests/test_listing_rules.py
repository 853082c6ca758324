"""The listing rules every tier reads."""

from __future__ import annotations

import re
from decimal import Decimal

from mpcommon import events, listing_rules


class ListingRulesTest:
    def test_price_string_has_two_decimals(self):
        assert listing_rules.price_string(Decimal("12.5")) == "12.50"
        assert listing_rules.price_string(Decimal("1000000")) == "1000000.00"
        assert listing_rules.price_string(12.5) == "12.50"  # a search document's float
        assert listing_rules.price_string("7") == "7.00"

    def test_price_pattern_matches_the_limits(self):
        pattern = re.compile(listing_rules.PRICE_PATTERN)
        assert pattern.match(listing_rules.price_string(listing_rules.MAX_PRICE))
        assert pattern.match(listing_rules.price_string(listing_rules.MIN_PRICE))
        assert not pattern.match("12.5")

    def test_event_schema_uses_the_rules(self):
        properties = events.LISTING_DOCUMENT_SCHEMA["properties"]
        assert properties["title"]["maxLength"] == listing_rules.TITLE_MAX_LENGTH
        assert properties["description"]["maxLength"] == listing_rules.DESCRIPTION_MAX_LENGTH
        assert properties["price"]["pattern"] == listing_rules.PRICE_PATTERN
        assert properties["status"]["enum"] == list(listing_rules.STATUS_VALUES)
