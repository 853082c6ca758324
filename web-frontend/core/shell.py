"""The member shell of a page (docs/edge-assembly.md, "The shell (web tier)").

HAProxy asks for it with ``GET <page>`` and ``X-Edge-Shell: 1``, without cookies: the
page exactly as a logged-in member sees it, with every per-member value left as one of
the markers below, which HAProxy fills from the viewer fragment. Only the views wrapped
in :func:`member_shell` (home, listing, search) answer one. A shell is a 200 marked
``X-Edge-Shell: 1`` that starts with ``<!--mp:shell 1-->`` and says how this tier writes
its CSRF cookie (``X-Edge-Csrf-Cookie``); any page that is not complete (an error page, a
degraded one) is answered as to an anonymous visitor, unmarked.

Where the markers are written: ``MEMBER`` below (the header's user id and username, the
unread count), ``core.context_processors.site`` (CSRF form tokens), the listing view
(the message form's token), ``favourites.templatetags.favourites.Hearts`` (hearts),
``partials/header.html`` (the unread block) and ``listings/detail.html`` (the seller
block).
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpResponse
from django.utils.safestring import mark_safe

from clients.experience_api import ExperienceApi
from core.auth import Viewer

HEADER = "X-Edge-Shell"
CSRF_COOKIE_HEADER = "X-Edge-Csrf-Cookie"
START = b"<!--mp:shell 1-->"

# Values: safe strings, so templates and format_html() write them as they are. Data
# never contains "<!--" (it is all HTML-escaped), so none of these can be forged.
USER_ID = mark_safe("<!--mp:user-id-->")
USERNAME = mark_safe("<!--mp:username-->")
CSRF_TOKEN = mark_safe("<!--mp:csrf-->")
MESSAGE_TOKEN = mark_safe("<!--mp:token-->")
UNREAD_COUNT = mark_safe("<!--mp:unread-count-->")

# The viewer of a shell: every member at once. Templates tell it apart by ``shell``
# (``{% if user.shell %}``), Python by identity (``user is MEMBER``).
MEMBER = {
    "shell": True,
    "id": USER_ID,
    "username": USERNAME,
    "unread_messages": UNREAD_COUNT,
}


def heart_block(listing_id: int, seller_id: int, saved: str, unsaved: str) -> str:
    """A heart as the viewer sees it: none on their own listing (``seller_id``, 0 when
    unknown), else ``saved`` or ``unsaved`` (HTML) as listing ``listing_id`` is among
    their favourites."""
    return (
        f"<!--mp:heart {int(listing_id)} {int(seller_id)}-->{saved}"
        f"<!--mp:else-->{unsaved}<!--/mp:heart-->"
    )


def csrf_cookie_form() -> str:
    """The ``Set-Cookie`` value CsrfViewMiddleware sends with a page that carries a CSRF
    token (the same call, from the same settings), its secret and expiry date as the
    markers ``<!--mp:csrf-secret-->`` and ``<!--mp:expires-->`` (no expiry date for a
    session cookie): HAProxy writes the cookie of an assembled page from it."""
    response = HttpResponse()
    response.set_cookie(
        settings.CSRF_COOKIE_NAME,
        "",
        max_age=settings.CSRF_COOKIE_AGE,
        domain=settings.CSRF_COOKIE_DOMAIN,
        path=settings.CSRF_COOKIE_PATH,
        secure=settings.CSRF_COOKIE_SECURE,
        httponly=settings.CSRF_COOKIE_HTTPONLY,
        samesite=settings.CSRF_COOKIE_SAMESITE,
    )
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    # Set as they are: a cookie value with "<" would otherwise be quoted.
    cookie.set(cookie.key, "<!--mp:csrf-secret-->", "<!--mp:csrf-secret-->")
    if cookie["expires"]:
        cookie["expires"] = "<!--mp:expires-->"
    return cookie.OutputString()


def asked_for(request) -> bool:
    """Whether the request asks for the page's member shell: a GET with ``X-Edge-Shell:
    1`` and no cookie at all. HAProxy sends none; a request carrying any (a login, a
    flash message, a CSRF cookie) is rendered for who sent it, as without the header."""
    return (
        request.method == "GET"
        and request.headers.get(HEADER) == "1"
        and not request.META.get("HTTP_COOKIE")
    )


def rendering(request) -> bool:
    """Whether this request is being rendered as a member shell now."""
    return getattr(request, "member_shell", False)


class ShellViewer:
    """``request.viewer`` while a shell renders: the member of the markers."""

    user = MEMBER


def _is_complete(response) -> bool:
    """A page a shell can be: a whole 200 page the edge may keep (no Cache-Control, no
    cookie set)."""
    return (
        response.status_code == 200
        and not response.streaming
        and "Cache-Control" not in response
        and not response.cookies
        and response.content.startswith(b"<!doctype html>")
    )


def _as_anonymous(request) -> None:
    request.member_shell = False
    request.viewer = Viewer(request.api)


def member_shell(view):
    """Lets ``view`` (a page with no per-member data but the viewer's part) answer its
    member shell when :func:`asked_for`.

    The experience API is called without a Bearer, and with ``X-Edge-Shell: 1`` (a shell
    render is not a page view). When the page turns out not to be complete, it is
    rendered again for an anonymous visitor (a page that raised is left to the
    middleware's error pages, rendered for one too).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not asked_for(request):
            return view(request, *args, **kwargs)
        request.api = ExperienceApi(forwarded_for=request.api.forwarded_for, member_shell=True)
        request.viewer = ShellViewer()
        request.member_shell = True
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            _as_anonymous(request)
            raise
        if not _is_complete(response):
            _as_anonymous(request)
            return view(request, *args, **kwargs)
        response.content = START + response.content
        response[HEADER] = "1"
        response[CSRF_COOKIE_HEADER] = csrf_cookie_form()
        return response

    return wrapper
