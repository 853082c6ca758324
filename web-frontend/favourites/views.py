"""The heart (save / remove a favourite listing) and the viewer's favourites page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from clients.experience_api import Conflict, PermissionDenied
from core.auth import login_required, login_required_back_to, safe_next

SAVE, REMOVE = "save", "remove"


def _back(request, listing_id: int) -> str:
    """Where the heart's form was (a local ``next``), else the listing's page."""
    return safe_next(request, request.POST.get("next"), f"/listings/{int(listing_id)}/")


@require_POST
@login_required_back_to(_back)
def toggle(request, listing_id: int):
    """Save or remove the listing, then back to the page the heart was on.

    The form says which (``action``: what its button showed), so a double submit cannot
    undo itself; without it the current state decides.
    """
    action = request.POST.get("action")
    if action not in (SAVE, REMOVE):
        saved = listing_id in request.api.favourite_ids([listing_id])
        action = REMOVE if saved else SAVE
    try:
        if action == SAVE:
            request.api.favourite(listing_id)
            messages.success(request, "Saved to your favourites.")
        else:
            request.api.unfavourite(listing_id)
            messages.info(request, "Removed from your favourites.")
    except (Conflict, PermissionDenied) as error:
        messages.error(request, error.detail or "This listing cannot be saved.")
    return HttpResponseRedirect(_back(request, listing_id))


def _page(request) -> int:
    """The ``page`` parameter; anything but a whole number from 1 to 10,000 is page 1."""
    try:
        page = int(request.GET.get("page") or "1")
    except ValueError:
        return 1
    return page if 1 <= page <= 10_000 else 1


@require_safe
@login_required
def favourite_list(request):
    data = request.api.favourites(page=_page(request))
    cards = data.get("results") or []
    return render(
        request,
        "favourites/list.html",
        {
            "cards": cards,
            # Every card here is saved: no need to ask.
            "favourite_ids": {card.get("id") for card in cards if isinstance(card, dict)},
            "total": data.get("total") or 0,
            "page": data.get("page") or 1,
            "pages": data.get("pages") or 0,
        },
    )
