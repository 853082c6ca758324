"""Template filters: money, dates, highlights, pagination window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.templatetags.marketplace import (
    ago,
    as_datetime,
    condition_label,
    highlight,
    money,
    page_window,
    person_name,
)


class MoneyTest:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1234.5", "$1,234.50"),
            ("0", "$0.00"),
            ("0.005", "$0.01"),
            (12, "$12.00"),
            ("1000000.00", "$1,000,000.00"),
            ("-3", "-$3.00"),
            ("abc", ""),
            (None, ""),
            ("NaN", ""),
        ],
    )
    def test_formats_as_money(self, value, expected):
        assert money(value) == expected


class HighlightTest:
    def test_keeps_only_mark_tags(self):
        assert highlight("a <mark>b</mark> c") == "a <mark>b</mark> c"

    def test_escapes_everything_else(self):
        assert highlight("<b>x</b><mark>y</mark>") == "&lt;b&gt;x&lt;/b&gt;<mark>y</mark>"

    def test_already_escaped_text_not_escaped_twice(self):
        assert highlight("Tom &amp; Jerry <mark>mug</mark>") == "Tom &amp; Jerry <mark>mug</mark>"

    def test_escaped_script_stays_text(self):
        assert highlight("&lt;script&gt;") == "&lt;script&gt;"

    def test_unbalanced_tags_repaired(self):
        assert highlight("</mark>a<mark>b<mark>c") == "a<mark>bc</mark>"

    def test_mark_with_attributes_is_text(self):
        assert highlight('<mark onclick="x">a</mark>') == "&lt;mark onclick=&quot;x&quot;&gt;a"

    def test_empty(self):
        assert highlight("") == "" and highlight(None) == ""


class PageWindowTest:
    def test_single_page_has_no_links(self):
        assert page_window(1, 1) == []

    def test_window_with_gaps(self):
        assert page_window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]

    def test_near_start(self):
        assert page_window(1, 5) == [1, 2, 3, None, 5]

    def test_bad_input(self):
        assert page_window("x", 3) == []


class SmallFiltersTest:
    def test_as_datetime_parses_api_times(self):
        assert as_datetime("2024-03-01T10:00:00Z") == datetime(2024, 3, 1, 10, tzinfo=UTC)
        assert as_datetime("2024-03-01T10:00:00").tzinfo is not None
        assert as_datetime("garbage") is None

    def test_condition_label(self):
        assert condition_label("like_new") == "Like new"
        assert condition_label("mint_condition") == "Mint condition"

    def test_person_name_prefers_display_name(self):
        assert person_name({"username": "bob", "display_name": "Bob B."}) == "Bob B."
        assert person_name({"username": "bob", "display_name": ""}) == "bob"
        assert person_name(None) == ""

    def test_ago_uses_one_unit(self):
        now = datetime(2025, 1, 10, 12, tzinfo=UTC)
        assert ago("2025-01-01T09:00:00Z", now) == "1\xa0week ago"
        assert ago("2025-01-10T11:59:30Z", now) == "just now"
        assert ago("nonsense", now) == ""
