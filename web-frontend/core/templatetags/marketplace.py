"""Template filters of the site: money, dates from the API, conditions, safe highlights."""

from __future__ import annotations

import functools
import html
import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from mpcommon.listing_rules import CONDITION_LABELS

register = template.Library()

# Statuses read differently to buyers than the API's labels ("For sale", not "Active").
STATUS_LABELS = {
    "active": "For sale",
    "reserved": "Reserved",
    "sold": "Sold",
    "withdrawn": "Withdrawn",
}
# The banner on a listing's page when it cannot be bought now (issue 12).
STATUS_BANNERS = {
    "reserved": "This item is reserved",
    "sold": "This item is sold",
    "withdrawn": "This item is withdrawn by the seller",
}


@register.filter
def money(value) -> str:
    """``"1234.5"`` -> ``"$1,234.50"``; anything that is not a number renders as ``""``."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return ""
    if not amount.is_finite():
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}{settings.CURRENCY_SYMBOL}{abs(amount):,.2f}"


@register.filter
def as_datetime(value):
    """An ISO 8601 string from the API as an aware datetime (for naturaltime/date)."""
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@register.filter
def ago(value, now: datetime | None = None) -> str:
    """An API time as "3 days ago" (one unit only: shoppers need the gist, not the hours)."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    now = now or timezone.now()
    if moment > now - timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


@register.filter
def condition_label(value) -> str:
    return CONDITION_LABELS.get(value, str(value or "").replace("_", " ").capitalize())


@register.filter
def status_label(value) -> str:
    return STATUS_LABELS.get(value, str(value or "").capitalize())


@register.filter
def status_banner(value) -> str:
    """The listing page's banner for a status buyers cannot buy in, else ``""``."""
    return STATUS_BANNERS.get(value, "")


@register.filter
def photo_src(photo, size: str = "detail") -> str:
    """A photo's ``<size>_url`` thumbnail, else the original ``url``, else ``""``."""
    if not isinstance(photo, dict):
        return ""
    return photo.get(f"{size}_url") or photo.get("url") or ""


@register.filter
def person_name(person) -> str:
    """A user or seller's display name, falling back to the username."""
    if not isinstance(person, dict):
        return ""
    return person.get("display_name") or person.get("username") or ""


_MARK_TAG = re.compile(r"(</?mark>)", re.IGNORECASE)


@register.filter
def highlight(fragment) -> SafeString:
    """A search highlight made safe: only ``<mark>``/``</mark>`` survive as markup.

    The API promises HTML-escaped text with ``<mark>`` tags, but this page does not rely
    on it: the text between tags is unescaped (so it is not escaped twice) and escaped
    again here, and the tags are re-emitted only when balanced.
    """
    if not fragment:
        return mark_safe("")  # noqa: S308 - empty
    out: list[str] = []
    open_mark = False
    for part in _MARK_TAG.split(str(fragment)):
        lowered = part.lower()
        if lowered == "<mark>":
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif lowered == "</mark>":
            if open_mark:
                out.append("</mark>")
                open_mark = False
        elif part:
            out.append(escape(html.unescape(part)))
    if open_mark:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - every text part was escaped above


@register.simple_tag
def page_window(page, pages, radius=2):
    """Page numbers to link, with None where a run is skipped: 1 … 4 5 [6] 7 8 … 20."""
    try:
        page, pages = int(page), int(pages)
    except (TypeError, ValueError):
        return []
    if pages <= 1:
        return []
    shown = {1, pages} | set(range(max(1, page - radius), min(pages, page + radius) + 1))
    window: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            window.append(None)
        window.append(number)
        previous = number
    return window


@register.inclusion_tag("partials/field.html")
def form_field(field, **attrs):
    """One labelled form field, Bootstrap-styled, with its errors and help text wired up
    for screen readers (aria-describedby / aria-invalid)."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    css = "form-select" if input_type == "select" else "form-control"
    if field.errors:
        css += " is-invalid"
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        described_by.append(f"{field.auto_id}_error")
    widget_attrs = {"class": css, **attrs}
    if described_by:
        widget_attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        widget_attrs["aria-invalid"] = "true"
    return {
        "field": field,
        "widget_html": field.as_widget(attrs=widget_attrs),
        "hidden": field.is_hidden,
    }


# ---------------------------------------------------------------- listing cards
# A page shows up to 24 cards, and rendering them through the template engine was most
# of a page's cost (issue 11: ~50% of a web worker's CPU). A card's HTML depends only
# on the fields below and on how long ago it was listed, so each process keeps the HTML
# of the cards it rendered recently, keyed by exactly those values: a changed title,
# price, status, view count or highlight, or a new "3 days ago", is a different key.
# Nothing can be stale; the cache only saves re-rendering identical cards.
CARD_TEMPLATE = "partials/listing_card.html"
CARD_CACHE_SIZE = 4096  # ~1.5 kB each


class CardHtmlCache:
    """A small thread-safe LRU of rendered cards (one per process)."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            html_ = self._entries.get(key)
            if html_ is not None:
                self._entries.move_to_end(key)
            return html_

    def put(self, key, html_) -> None:
        with self._lock:
            self._entries[key] = html_
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


card_cache = CardHtmlCache(CARD_CACHE_SIZE)


@functools.lru_cache(maxsize=8192)
def _ago_bounds(value: str, second: int) -> tuple[str, str]:
    """What ``ago`` says at the start and at the end of one second."""
    start = datetime.fromtimestamp(second, UTC)
    return ago(value, start), ago(value, start + timedelta(seconds=1))


def listed_ago(created_at) -> str:
    """Exactly ``ago(created_at)``, mostly without computing it: timesince was the
    costliest part of a card. "… ago" only moves forward with time, so when it says the
    same at both ends of the current second it says that throughout."""
    if not isinstance(created_at, str):
        return ago(created_at)
    now = timezone.now()
    at_start, at_end = _ago_bounds(created_at, int(now.timestamp()))
    return at_start if at_start == at_end else ago(created_at, now)


def card_cache_key(card: dict, listed: str) -> tuple:
    """Everything listing_card.html reads from ``card``, plus the "… ago" it shows now."""
    category = card.get("category")
    highlight_ = card.get("highlight")
    cover = card.get("cover")
    if not isinstance(category, dict):
        category = {}
    if not isinstance(highlight_, dict):
        highlight_ = {}
    if not isinstance(cover, dict):
        cover = {}
    return (
        card.get("id"),
        card.get("title"),
        card.get("price"),
        category.get("name"),
        card.get("condition"),
        card.get("status"),
        card.get("view_count"),
        card.get("created_at"),
        highlight_.get("title"),
        highlight_.get("description"),
        # The cover (issue 12): a new photo, or its thumbnail made later, is a new card.
        cover.get("card_url"),
        cover.get("url"),
        cover.get("width"),
        cover.get("height"),
        listed,
    )


def _render_card(card: dict, listed: str) -> SafeString:
    context = {"card": card, "listed_ago": listed}
    return mark_safe(get_template(CARD_TEMPLATE).render(context))  # noqa: S308 - autoescaped template output


@register.simple_tag
def listing_card(card) -> SafeString:
    """One listing card (``partials/listing_card.html``), rendered once per distinct card."""
    if not isinstance(card, dict):
        return mark_safe("")  # noqa: S308 - empty
    listed = listed_ago(card.get("created_at"))
    key = card_cache_key(card, listed)
    try:
        cached = card_cache.get(key)
    except TypeError:  # a field the API sent as a list or object: render, do not keep
        return _render_card(card, listed)
    if cached is None:
        cached = _render_card(card, listed)
        card_cache.put(key, cached)
    return cached
