"""The heart on listing cards and the listing page (``{% favourite_button listing %}``).

- Logged-in viewer, state known: a POST form (CSRF token, ``action``, ``next``) with a
  toggle button (``aria-pressed``, "Save"/"Saved" and the listing's title for screen
  readers). Works without JavaScript.
- Logged-in viewer, state unknown (the API could not say) or their own listing: nothing.
- Anyone else: a plain link to log in and come back, the same for every anonymous
  visitor of the page, so the page stays cacheable: no form, no token, nothing per user.
- A member shell (core.shell): both forms, in a heart block the edge fills in (nothing
  on the viewer's own listing, else the saved or the unsaved one).

Built as strings (every value escaped with ``html.escape``) rather than a template: a
page has up to ~50 of them, and card rendering is the hot path (issue 11). The cards
themselves are cached HTML (marketplace.listing_card); the heart is rendered beside
them, never inside (``listing_grid_items`` writes a whole grid of both).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django import template
from django.utils.safestring import mark_safe

from core import shell
from core.templatetags.marketplace import listing_card

register = template.Library()

# A constant (no data in it).
HEART_SVG = mark_safe(  # noqa: S308 - a literal
    '<svg class="heart-icon" aria-hidden="true" focusable="false" width="20" height="20" '
    'viewBox="0 0 24 24"><path d="M12 20.5s-7.6-4.7-9.5-9.3C1 7.6 3.1 4 6.8 4c2.1 0 3.6 '
    '1.1 5.2 3 1.6-1.9 3.1-3 5.2-3 3.7 0 5.8 3.6 4.3 7.2-1.9 4.6-9.5 9.3-9.5 9.3z"/></svg>'
)


def _viewer(context):
    user = context.get("current_user")
    return user() if callable(user) else user


class Hearts:
    """The hearts of one page: what every heart of it shares (viewer, saved ids, CSRF
    token, the page's own path) is worked out once, and each heart is then one string
    built with ``html.escape`` on every value (exactly what ``format_html`` wrote, without
    its per-argument lazy machinery: a page has up to ~50 hearts, issue 11)."""

    def __init__(self, context):
        request = context.get("request")
        self.usable = request is not None
        if not self.usable:
            return
        here = request.get_full_path()
        self.here = escape(here)
        self.login_next = escape(quote(here, safe="/"))
        self.user = _viewer(context)
        self.saved_ids = context.get("favourite_ids")
        self._context = context
        self._csrf_token: str | None = None

    @property
    def csrf_token(self) -> str:
        # Asked only when a form is written: asking sets the CSRF cookie.
        if self._csrf_token is None:
            self._csrf_token = escape(str(self._context.get("csrf_token") or ""))
        return self._csrf_token

    def render(self, listing, size: str = "card") -> str:
        if not self.usable or not isinstance(listing, dict):
            return ""
        try:
            listing_id = int(listing.get("id"))
        except (TypeError, ValueError):
            return ""
        title = escape(str(listing.get("title") or ""))
        size = escape(size)
        label_class = "favourite-label" if size == "page" else "visually-hidden"
        if not self.user:
            return (
                f'<a class="favourite-control favourite-{size} favourite-login" '
                f'href="/login/?next={self.login_next}" title="Log in to save">{HEART_SVG}'
                f'<span class="{label_class}">Log in to save</span>'
                f'<span class="visually-hidden">: {title}</span></a>'
            )
        seller = listing.get("seller")
        if self.user is shell.MEMBER:
            seller_id = seller.get("id") if isinstance(seller, dict) else None
            return shell.heart_block(
                listing_id,
                seller_id if isinstance(seller_id, int) else 0,
                self._form(listing_id, title, size, label_class, True, shell.CSRF_TOKEN),
                self._form(listing_id, title, size, label_class, False, shell.CSRF_TOKEN),
            )
        if isinstance(seller, dict) and seller.get("id") == self.user.get("id"):
            return ""  # one's own listing: its saves show on the dashboard instead
        if self.saved_ids is None:
            return ""
        saved = listing_id in self.saved_ids
        return self._form(listing_id, title, size, label_class, saved, self.csrf_token)

    def _form(self, listing_id, title, size, label_class, saved, csrf_token) -> str:
        """The logged-in viewer's heart: a form that saves or removes the listing."""
        label = "Saved" if saved else "Save"
        return (
            f'<form class="favourite-control favourite-{size} favourite-form" method="post" '
            f'action="/listings/{listing_id}/favourite/">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf_token}">'
            f'<input type="hidden" name="action" value="{"remove" if saved else "save"}">'
            f'<input type="hidden" name="next" value="{self.here}">'
            f'<button type="submit" class="favourite-button{" is-saved" if saved else ""}" '
            f'aria-pressed="{"true" if saved else "false"}" title="{label}">'
            f'{HEART_SVG}<span class="{label_class}">{label}</span>'
            f'<span class="visually-hidden">: {title}</span></button></form>'
        )


@register.simple_tag(takes_context=True)
def favourite_button(context, listing, size: str = "card"):
    """The heart for ``listing`` (a card or listing dict); ``size`` "card" or "page"."""
    return mark_safe(Hearts(context).render(listing, size))  # noqa: S308 - every value escaped


@register.simple_tag(takes_context=True)
def listing_grid_items(context, cards):
    """Every ``<li>`` of a grid of cards: the card (cached HTML, marketplace.listing_card)
    and its heart beside it, never inside. What a ``{% for %}`` over the two tags wrote,
    in one Python loop (the template engine's per-node cost was most of a page's)."""
    hearts = Hearts(context)
    items = []
    for card in cards or ():
        items.append('<li class="col listing-grid-item">')
        items.append(listing_card(card))
        items.append(hearts.render(card))
        items.append("</li>")
    return mark_safe("".join(items))  # noqa: S308 - cards and hearts are escaped HTML
