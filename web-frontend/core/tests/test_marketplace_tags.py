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
    photo_src,
    status_banner,
    status_label,
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


class PhotoSrcTest:
    def test_thumbnail_of_the_size_else_original(self):
        photo = {"url": "/media/o.jpg", "card_url": "/media/c.webp", "detail_url": None}
        assert photo_src(photo, "card") == "/media/c.webp"
        assert photo_src(photo, "detail") == "/media/o.jpg"
        assert photo_src(photo) == "/media/o.jpg"

    def test_not_a_photo_is_empty(self):
        assert photo_src(None) == "" and photo_src({"url": None}) == ""


class StatusTextTest:
    @pytest.mark.parametrize(
        ("status", "banner"),
        [
            ("reserved", "This item is reserved"),
            ("sold", "This item is sold"),
            ("withdrawn", "This item is withdrawn by the seller"),
            ("active", ""),
            (None, ""),
        ],
    )
    def test_banner(self, status, banner):
        assert status_banner(status) == banner

    def test_labels_cover_every_status(self):
        from mpcommon.listing_rules import STATUS_VALUES

        assert [status_label(s) for s in STATUS_VALUES] == [
            "For sale",
            "Reserved",
            "Sold",
            "Withdrawn",
        ]
