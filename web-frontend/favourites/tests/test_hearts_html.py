"""The hearts and grids written as strings (favourites.templatetags.favourites.Hearts)
are byte for byte what the former ``format_html`` version and ``{% for %}`` loop wrote,
hostile titles and paths included."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.html import format_html

from conftest import make_card
from favourites.templatetags.favourites import HEART_SVG

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"
ALICE = {"id": 7, "username": "alice"}
BOB = {"id": 9, "username": "bob", "display_name": "Bob B."}


def reference_heart(listing, *, user, saved_ids, csrf_token, here, size="card") -> str:
    """The heart as the format_html implementation wrote it (issue 13)."""
    listing_id = int(listing["id"])
    title = str(listing.get("title") or "")
    label_class = "visually-hidden" if size != "page" else "favourite-label"
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
        return ""
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
        csrf_token,
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


CARDS = [
    make_card(id=1, seller=BOB, title=HOSTILE),
    make_card(id=2, seller=BOB, title="Oak table"),
    make_card(id=3, seller=ALICE, title="Mine"),
    make_card(id=4, seller=BOB, title=""),
]
PATHS = ["/", '/search/?q=<b>"lamp"</b>&page=2', "/search/?q=caf%C3%A9 bar"]


CSRF_TOKEN = "tok&<>"  # a value to escape, not a secret


def context_for(path, *, user, saved_ids, csrf_token=CSRF_TOKEN):
    request = RequestFactory().get(path)
    return Context(
        {
            "request": request,
            "current_user": (lambda: user),
            "favourite_ids": saved_ids,
            "csrf_token": csrf_token,
        }
    )


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("user", "saved_ids"),
    [(None, None), (ALICE, {2}), (ALICE, set()), (ALICE, None)],
    ids=["anonymous", "one-saved", "none-saved", "state-unknown"],
)
class HeartsHtmlTest:
    def test_each_heart_is_what_format_html_wrote(self, path, user, saved_ids):
        here = RequestFactory().get(path).get_full_path()
        template = Template("{% load favourites %}{% favourite_button card size %}")
        for card in CARDS:
            for size in ("card", "page"):
                context = context_for(path, user=user, saved_ids=saved_ids)
                context.update({"card": card, "size": size})
                expected = reference_heart(
                    card,
                    user=user,
                    saved_ids=saved_ids,
                    csrf_token=CSRF_TOKEN,
                    here=here,
                    size=size,
                )
                assert template.render(context) == expected

    def test_the_grid_is_what_the_for_loop_over_card_and_heart_wrote(self, path, user, saved_ids):
        grid = Template("{% load favourites %}{% listing_grid_items cards %}")
        loop = Template(
            "{% load marketplace favourites %}{% for card in cards %}"
            '<li class="col listing-grid-item">{% listing_card card %}'
            "{% favourite_button card %}</li>{% endfor %}"
        )
        context = context_for(path, user=user, saved_ids=saved_ids)
        context["cards"] = CARDS
        assert grid.render(context) == loop.render(context)
        assert grid.render(context).count('class="col listing-grid-item"') == len(CARDS)
