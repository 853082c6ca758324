"""The heart on listing cards and the listing page (``{% favourite_button listing %}``).

- Logged-in viewer, state known: a POST form (CSRF token, ``action``, ``next``) with a
  toggle button (``aria-pressed``, "Save"/"Saved" and the listing's title for screen
  readers). Works without JavaScript.
- Logged-in viewer, state unknown (the API could not say) or their own listing: nothing.
- Anyone else: a plain link to log in and come back, the same for every anonymous
  visitor of the page, so the page stays cacheable: no form, no token, nothing per user.

Built with format_html (every value escaped) rather than a template: a page has up to
~50 of them, and card rendering is the hot path (issue 11). The cards themselves are
cached HTML (marketplace.listing_card); the heart is rendered beside them, never inside.
"""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


@register.simple_tag(takes_context=True)
def favourite_button(context, listing, size: str = "card"):
    """The heart for ``listing`` (a card or listing dict); ``size`` "card" or "page"."""
    request = context.get("request")
    if request is None or not isinstance(listing, dict):
        return ""
    try:
        listing_id = int(listing.get("id"))
    except (TypeError, ValueError):
        return ""
    title = str(listing.get("title") or "")
    here = request.get_full_path()
    compact = size != "page"
    label_class = "visually-hidden" if compact else "favourite-label"
    user = _viewer(context)
    if not user:
        return format_html(
            '<a class="favourite-control favourite-{} favourite-login" href="/login/?next={}" '
            'title="Log in to save">{}<span class="{}">Log in to save</span>'
            '<span class="visually-hidden">: {}</span></a>',
            size,
            quote(here, safe="/"),
            HEART_SVG,
            label_class,
            title,
        )
    seller = listing.get("seller")
    if isinstance(seller, dict) and seller.get("id") == user.get("id"):
        return ""  # one's own listing: its saves show on the dashboard instead
    saved_ids = context.get("favourite_ids")
    if saved_ids is None:
        return ""
    saved = listing_id in saved_ids
    label = "Saved" if saved else "Save"
    return format_html(
        '<form class="favourite-control favourite-{} favourite-form" method="post" '
        'action="/listings/{}/favourite/">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="action" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="favourite-button{}" aria-pressed="{}" title="{}">'
        '{}<span class="{}">{}</span><span class="visually-hidden">: {}</span></button></form>',
        size,
        listing_id,
        str(context.get("csrf_token") or ""),
        "remove" if saved else "save",
        here,
        " is-saved" if saved else "",
        "true" if saved else "false",
        label,
        HEART_SVG,
        label_class,
        label,
        title,
    )
