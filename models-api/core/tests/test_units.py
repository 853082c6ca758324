"""Pure units: time formatting; the listing rules the model shares with every tier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from accounts.models import User
from catalogue.models import Listing, ListingCondition, ListingStatus
from core.formatting import iso_utc
from mpcommon import account_rules, listing_rules


class FormattingTest:
    def test_iso_utc_converts_to_utc_with_z(self):
        value = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=timezone(timedelta(hours=2)))
        assert iso_utc(value) == "2026-01-02T01:04:05.600000Z"
        assert iso_utc(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00Z"
        assert iso_utc(None) is None


class ListingRulesTest:
    def test_model_choices_are_the_shared_rules(self):
        assert tuple(ListingCondition.choices) == listing_rules.CONDITIONS
        assert tuple(ListingStatus.choices) == listing_rules.STATUSES
        assert ListingCondition.GOOD == listing_rules.DEFAULT_CONDITION
        assert ListingStatus.ACTIVE == listing_rules.DEFAULT_STATUS

    def test_model_fields_follow_the_shared_rules(self):
        assert Listing._meta.get_field("title").max_length == listing_rules.TITLE_MAX_LENGTH
        description = Listing._meta.get_field("description")
        assert description.max_length == listing_rules.DESCRIPTION_MAX_LENGTH
        price = Listing._meta.get_field("price")
        assert price.max_digits == listing_rules.PRICE_MAX_DIGITS
        assert price.decimal_places == listing_rules.PRICE_DECIMAL_PLACES


class AccountRulesTest:
    def test_user_fields_follow_the_shared_rules(self):
        assert User._meta.get_field("username").max_length == account_rules.USERNAME_MAX_LENGTH
        display_name = User._meta.get_field("display_name")
        assert display_name.max_length == account_rules.DISPLAY_NAME_MAX_LENGTH
        assert User._meta.get_field("email").max_length == account_rules.EMAIL_MAX_LENGTH
