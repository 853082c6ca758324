"""Listing cards rendered once per distinct card (issue 11), never stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import get_template, render_to_string

from conftest import make_card
from core.templatetags import marketplace
from core.templatetags.marketplace import (
    CardHtmlCache,
    ago,
    card_cache,
    listed_ago,
    listing_card,
)


@pytest.fixture(autouse=True)
def empty_card_cache():
    card_cache.clear()
    yield
    card_cache.clear()


COVER = {
    "id": 1,
    "position": 0,
    "width": 800,
    "height": 600,
    "url": "/media/" + "a" * 64 + ".jpg",
    "card_url": None,
    "detail_url": None,
}


def rendered_by_the_template(card: dict) -> str:
    context = {"card": card, "listed_ago": ago(card["created_at"])}
    return get_template("partials/listing_card.html").render(context)


class ListingCardTest:
    def test_same_html_as_the_card_template(self):
        card = make_card(highlight={"title": "Oak <mark>desk</mark>"}, status="sold")
        assert listing_card(card) == rendered_by_the_template(card)

    def test_second_identical_card_is_not_rendered_again(self, monkeypatch):
        card = make_card()
        first = listing_card(card)
        monkeypatch.setattr(marketplace, "get_template", lambda _name: pytest.fail("rendered"))
        assert listing_card(dict(card)) == first

    @pytest.mark.parametrize(
        "change",
        [
            {"title": "Renamed"},
            {"price": "99.00"},
            {"status": "sold"},
            {"view_count": 4},
            {"condition": "poor"},
            {"category": {"slug": "books", "name": "Books"}},
            {"highlight": {"description": "a <mark>new</mark> match"}},
            {"cover": COVER},
            {"cover": {**COVER, "card_url": "/media/" + "b" * 64 + ".webp"}},
            {"cover": {**COVER, "url": "/media/" + "c" * 64 + ".jpg", "card_url": None}},
            {"cover": {**COVER, "width": 300}},
        ],
    )
    def test_any_change_the_card_shows_renders_it_anew(self, change):
        card = make_card()
        before = listing_card(card)
        changed = {**card, **change}
        after = listing_card(changed)
        assert after != before
        assert after == rendered_by_the_template(changed)

    def test_thumbnail_made_later_replaces_the_original_cover(self):
        card = make_card(cover=COVER)
        before = listing_card(card)
        assert f'src="{COVER["url"]}"' in before
        thumbnail = "/media/" + "d" * 64 + ".webp"
        after = listing_card({**card, "cover": {**COVER, "card_url": thumbnail}})
        assert f'src="{thumbnail}"' in after and COVER["url"] not in after
        assert listing_card(card) == before  # both kept, each under its own key

    def test_cover_is_lazy_sized_and_titled(self):
        html = listing_card(make_card(title="Oak desk", cover=COVER))
        assert 'alt="Oak desk"' in html and 'loading="lazy"' in html
        assert 'width="800" height="600"' in html
        assert "placeholder.svg" not in html

    def test_no_cover_or_an_empty_one_shows_the_placeholder(self):
        for cover in (None, {**COVER, "url": None}):
            html = listing_card(make_card(title="Bike", cover=cover))
            assert 'src="/static/img/placeholder.svg"' in html
            assert 'alt="No photo yet for Bike"' in html

    def test_hostile_title_escaped_in_cover_alt(self):
        html = listing_card(make_card(title='"><script>x</script>', cover=COVER))
        assert "<script>" not in html and 'alt="&quot;&gt;&lt;script&gt;' in html

    def test_listed_time_moves_on(self, monkeypatch):
        now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        card = make_card(created_at=now.isoformat())
        monkeypatch.setattr(marketplace.timezone, "now", lambda: now + timedelta(seconds=5))
        assert "just now" in listing_card(card)
        monkeypatch.setattr(marketplace.timezone, "now", lambda: now + timedelta(hours=3))
        later = listing_card(card)
        assert "3\xa0hours ago" in later and "just now" not in later

    def test_listed_ago_says_what_ago_says(self):
        for age in (timedelta(seconds=5), timedelta(hours=2), timedelta(days=40)):
            created = (datetime.now(UTC) - age).isoformat()
            assert listed_ago(created) == ago(created)

    def test_title_is_escaped(self):
        html = listing_card(make_card(title='<script>alert("x")</script>'))
        assert "<script>" not in html
        assert "&lt;script&gt;" in html

    def test_card_with_an_unexpected_list_field_is_rendered_not_kept(self):
        card = make_card(title=["odd", "title"])
        assert listing_card(card) == rendered_by_the_template(card)
        assert len(card_cache) == 0

    def test_not_a_card_renders_nothing(self):
        assert listing_card(None) == ""

    def test_grid_renders_every_card_in_order(self):
        cards = [make_card(title=f"Card {n}") for n in range(5)]
        html = render_to_string("partials/listing_grid.html", {"cards": cards})
        positions = [html.index(f"Card {n}") for n in range(5)]
        assert positions == sorted(positions)
        assert html.count('class="card listing-card') == 5


class CardHtmlCacheTest:
    def test_keeps_only_the_most_recently_used(self):
        cache = CardHtmlCache(size=2)
        cache.put("a", "A")
        cache.put("b", "B")
        assert cache.get("a") == "A"  # "a" is now the most recent
        cache.put("c", "C")
        assert cache.get("b") is None
        assert cache.get("a") == "A" and cache.get("c") == "C"
        assert len(cache) == 2
