"""Which listings on a page the viewer has saved: the state of the hearts.

For a logged-in viewer the page's own answer says it (``favourited``: home and listing
detail, docs/internal-contracts.md "viewer part"); a page whose answer does not costs
one ``GET /favourites/ids``. Nothing at all for anyone else (anonymous pages stay the
same for everybody, so the edge may cache them), nor for a member shell (its hearts are
filled in at the edge).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from clients.experience_api import ExperienceApiError
from core import shell

logger = logging.getLogger(__name__)

# The API answers for at most this many listings per call (docs: GET /favourites/ids).
MAX_IDS_PER_CALL = 100


def _listing_ids(card_lists: Iterable) -> list[int]:
    ids: dict[int, None] = {}  # ordered and unique
    for cards in card_lists:
        for card in cards or ():
            if isinstance(card, dict):
                try:
                    ids.setdefault(int(card.get("id")), None)
                except (TypeError, ValueError):
                    continue
    return list(ids)[:MAX_IDS_PER_CALL]


def favourited_among(request, *card_lists, answer: dict | None = None) -> set[int] | None:
    """The ids among the listings of ``card_lists`` the logged-in viewer has saved: as
    the page's ``answer`` says (its ``favourited``), else asked of the API.

    None when there is no logged-in viewer, or when the API could not say: the page then
    shows no heart rather than a wrong one (it is not worth failing the page for). None
    for a member shell too (``Hearts`` writes both states of each heart).
    """
    if not request.viewer.user or shell.rendering(request):
        return None
    if answer is not None and "favourited" in answer:
        known = answer["favourited"]
        if not isinstance(known, list):
            return None
        try:
            return {int(pk) for pk in known}
        except (TypeError, ValueError):
            return None
    ids = _listing_ids(card_lists)
    if not ids:
        return set()
    try:
        return request.api.favourite_ids(ids)
    except ExperienceApiError as error:
        logger.warning("favourite state unavailable", extra={"error": repr(error)})
        return None
