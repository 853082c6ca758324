"""The per-viewer part of a page's answer: who is looking and which hearts are filled.

A logged-in page of the web tier needs, besides the page itself, the viewer for its
header (``GET /me``) and the hearts' state of its cards (``GET /favourites/ids``): three
round trips, each a whole request through both tiers (issue 11: ~60% of the experience
API's CPU per logged-in home page went to the two extra calls). The page endpoints with
optional auth (home, listing detail) answer those two questions too, for a request that
sends a Bearer, with the same selectors and so the same freshness (a logout, password
change or favourite through this API is seen by the very next page):

- ``viewer``: what ``GET /me`` answers (user with ``unread_messages``), or null when the
  authenticator is refused or could not be verified; then ``viewer_error`` says which
  (``not_authenticated``: drop the cookie; ``models_api_unavailable``: try again later).
- ``favourited``: which of the page's listings the viewer favourited (as
  ``GET /favourites/ids``), or null when the viewer is unknown or models-api could not
  say (show no heart rather than a wrong one).

A request without a Bearer gets none of these fields. They are added to the page after
it comes out of the shared cache and never enter it; an answer carrying them is marked
never-cache (private) by :func:`never_cache_if_personal`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.utils.http import http_date
from rest_framework.authentication import get_authorization_header

from accounts.authentication import PREFETCHED_ATTR, PROBLEM_ATTR
from clients import models_api
from favourites.selectors import favourited_ids, generation_key, ids_key
from mpcommon import errors as envelope
from trade.selectors import unread_cache_key, unread_messages

logger = logging.getLogger(__name__)

# GET /favourites/ids answers for at most this many listings; a page has far fewer.
MAX_FAVOURITE_IDS = 100


def sent_bearer(request) -> bool:
    """Whether the request carried an ``Authorization: Bearer ...`` header at all."""
    header = get_authorization_header(request).split()
    return bool(header) and header[0].lower() == b"bearer"


def page_listing_ids(card_lists: Iterable[Iterable[dict]]) -> list[int]:
    """The ids of the listings on a page, each once, in page order (at most 100)."""
    ids: dict[int, None] = {}
    for cards in card_lists:
        for item in cards:
            ids.setdefault(int(item["id"]), None)
    return list(ids)[:MAX_FAVOURITE_IDS]


class ViewerPartMixin:
    """For the page views with optional auth: ``self.viewer_part(request, card_lists)``.

    Authentication is lazy here (DRF: the first ``request.user``), so it runs once the
    page's listings are known: the viewer's unread count, hearts' generation and hearts'
    entry are then read in the same Redis round trip as the authenticator's stale mark
    (``prefetch_user_keys``, read by accounts.authentication), instead of three more.
    """

    viewer_listing_ids: list[int] | None = None

    def perform_authentication(self, request):
        pass  # lazily: see the class docstring (permissions still authenticate first)

    def prefetch_user_keys(self, user_id: int) -> list[str]:
        if self.viewer_listing_ids is None:
            return []
        keys = [unread_cache_key(user_id), generation_key(user_id)]
        if self.viewer_listing_ids:
            keys.append(ids_key(user_id, self.viewer_listing_ids))
        return keys

    def viewer_part(self, request, card_lists: Iterable[Iterable[dict]]) -> dict:
        """``{"viewer", "favourited"[, "viewer_error"]}`` for a request with a Bearer,
        else ``{}`` (module docstring). Never raises for the viewer's sake."""
        if not sent_bearer(request):
            return {}
        self.viewer_listing_ids = page_listing_ids(card_lists)
        user = request.user  # authenticates now, reading prefetch_user_keys with it
        if user is None:
            problem = getattr(request, PROBLEM_ATTR, None)
            code = (
                envelope.MODELS_API_UNAVAILABLE
                if isinstance(problem, models_api.ModelsApiUnavailable)
                else envelope.NOT_AUTHENTICATED
            )
            return {"viewer": None, "viewer_error": code, "favourited": None}
        return self.authenticated_viewer_part(request, user)

    def authenticated_viewer_part(self, request, user) -> dict:
        """``{"viewer", "favourited"}`` of the authenticated ``user`` for the listings of
        ``viewer_listing_ids``, from the keys read with the authenticator if it was."""
        found = getattr(request, PREFETCHED_ATTR, None)
        if found is None:  # authenticated before (without the keys): read them now
            found = cache.get_many(self.prefetch_user_keys(user.id))
        viewer = {
            **user.as_dict(),
            "unread_messages": unread_messages(
                user=user, cached=found.get(unread_cache_key(user.id))
            ),
        }
        try:
            favourited = favourited_ids(
                user=user, listing_ids=self.viewer_listing_ids, known=found
            )["favourited"]
        except models_api.ModelsApiError as exc:
            logger.warning(
                "favourite state unavailable",
                extra={"user_id": user.id, "error": type(exc).__name__},
            )
            favourited = None
        return {"viewer": viewer, "favourited": favourited}


# What django.utils.cache.add_never_cache_headers writes (as accounts.api.NeverCachedView),
# set directly: its general header merging was ~3% of a logged-in page's CPU here.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def mark_never_cached(response):
    """The never-cache headers of accounts.api.NeverCachedView, on ``response``."""
    response["Expires"] = http_date()
    response["Cache-Control"] = NEVER_CACHE
    response["Pragma"] = "no-cache"  # HTTP/1.0 caches
    return response


def never_cache_if_personal(response, part: dict):
    """Mark ``response`` never-cache (private) when it carries a viewer part."""
    return mark_never_cached(response) if part else response
