"""Home, listing detail, create and edit listing, and the seller's dashboard and actions
(thin: validate, call the API, render)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clients.experience_api import Conflict, NotFound, PermissionDenied, ValidationFailed
from core import shell
from core import views as error_views
from core.auth import login_required, safe_next
from core.forms import apply_api_errors
from favourites.state import favourited_among
from listings.forms import EditListingForm, ListingForm
from mpcommon import listing_rules

DASHBOARD_URL = "/dashboard/"
STATUS_DONE_MESSAGES = {
    "active": "Your listing is for sale again.",
    "withdrawn": "Your listing is withdrawn: it no longer shows in search.",
    "sold": "Marked as sold. Congratulations!",
}
RESERVED_MESSAGE = (
    "This listing is reserved by an accepted order: complete or cancel the order first."
)


@require_safe
@shell.member_shell
def home(request):
    data = request.api.home()
    newest, popular = data.get("newest", []), data.get("popular", [])
    return render(
        request,
        "listings/home.html",
        {
            "newest": newest,
            "popular": popular,
            "favourite_ids": favourited_among(request, newest, popular, answer=data),
        },
    )


@require_safe
@shell.member_shell
def detail(request, listing_id: int):
    listing = request.api.listing(listing_id)
    recommendations = listing.get("recommendations") or []
    return render(
        request,
        "listings/detail.html",
        {
            "listing": listing,
            "recommendations": recommendations,
            "favourite_ids": favourited_among(request, [listing], recommendations, answer=listing),
            # The message form's double-submit guard (rendered for logged-in buyers only).
            "message_token": shell.MESSAGE_TOKEN if shell.rendering(request) else uuid.uuid4().hex,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def create(request):
    form = ListingForm(
        request.POST or None, request.FILES or None, categories=request.api.categories()
    )
    if request.method == "POST" and form.is_valid():
        photos = form.cleaned_data.get("photos") or []
        try:
            if photos:
                listing = request.api.create_listing_with_photos(
                    fields=form.api_payload(), photos=photos
                )
            else:
                listing = request.api.create_listing(**form.api_payload())
        except ValidationFailed as error:
            apply_api_errors(form, error)
        else:
            messages.success(request, "Your listing is live.")
            return HttpResponseRedirect(f"/listings/{int(listing['id'])}/")
    return render(request, "listings/create.html", {"form": form})


def _own_listing(request, listing_id: int) -> dict:
    """The listing if the logged-in viewer is its seller; else PermissionDenied (403 page)."""
    user = request.viewer.require()
    listing = request.api.listing(listing_id)
    seller = listing.get("seller") or {}
    if seller.get("id") != user.get("id"):
        raise PermissionDenied("Only the seller can do this.", status=403)
    return listing


def _listing_initial(listing: dict) -> dict:
    category = listing.get("category") or {}
    return {
        "title": listing.get("title", ""),
        "description": listing.get("description", ""),
        "price": listing.get("price"),
        "category": category.get("slug", "") if isinstance(category, dict) else category,
        "condition": listing.get("condition") or "",
    }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def edit(request, listing_id: int):
    listing = _own_listing(request, listing_id)
    form = EditListingForm(
        request.POST or None,
        request.FILES or None,
        initial=_listing_initial(listing),
        categories=request.api.categories(),
        photos=listing.get("photos") or [],
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save_edit(request, listing_id, form)
        except ValidationFailed as error:
            apply_api_errors(form, error)
        except Conflict as error:
            form.add_error(None, error.detail or RESERVED_MESSAGE)
        else:
            messages.success(request, "Your changes are saved.")
            return HttpResponseRedirect(f"/listings/{int(listing_id)}/")
    return render(request, "listings/edit.html", {"form": form, "listing": listing})


def _save_edit(request, listing_id: int, form: EditListingForm) -> dict:
    photo_order = form.photo_order()
    photos = form.cleaned_data.get("photos") or []
    if photos and not photo_order and form.existing_photos:
        # A multipart PATCH cannot say "keep none" (an absent repeated field means keep
        # all), so removing every photo while adding new ones takes two calls.
        request.api.update_listing(listing_id, fields=form.api_fields(), photo_order=[])
        return request.api.add_listing_photos(listing_id, photos)
    return request.api.update_listing(
        listing_id, fields=form.api_fields(), photo_order=photo_order, photos=photos
    )


@require_POST
@login_required
def change_status(request, listing_id: int):
    status = request.POST.get("status", "")
    if status not in listing_rules.SELLER_SETTABLE_STATUSES:
        return error_views.bad_request(request)
    back = safe_next(request, request.POST.get("next"), DASHBOARD_URL)
    try:
        request.api.set_listing_status(listing_id, status)
    except Conflict as error:
        messages.error(request, error.detail or RESERVED_MESSAGE)
        return HttpResponseRedirect(back)
    except ValidationFailed as error:
        messages.error(request, " ".join(sum(error.fields.values(), [])) or error.detail)
        return HttpResponseRedirect(back)
    messages.success(request, STATUS_DONE_MESSAGES[status])
    return HttpResponseRedirect(back)


@require_POST
@login_required
def delete(request, listing_id: int):
    """Two steps without JavaScript: the dashboard's Delete button posts here without
    ``confirm`` and gets the confirmation page; its button posts ``confirm=yes``."""
    if request.POST.get("confirm") != "yes":
        listing = _own_listing(request, listing_id)
        return render(request, "listings/delete_confirm.html", {"listing": listing})
    try:
        request.api.delete_listing(listing_id)
    except NotFound:
        # Already gone (a double submit, or another tab): the outcome the seller wanted.
        messages.info(request, "That listing was already deleted.")
    except Conflict as error:
        messages.error(request, error.detail or RESERVED_MESSAGE)
    else:
        messages.success(request, "Your listing is deleted.")
    return HttpResponseRedirect(DASHBOARD_URL)


def _page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def _with_cover(listing: dict) -> dict:
    """The listing with ``cover`` set: the first photo (or None), as cards have it."""
    if "cover" in listing:
        return listing
    photos = listing.get("photos") or []
    return {**listing, "cover": photos[0] if photos else None}


@require_safe
@login_required
def dashboard(request):
    status = request.GET.get("status", "")
    if status not in listing_rules.STATUS_VALUES:
        status = ""
    data = request.api.dashboard(page=_page_number(request.GET.get("page")), status=status)
    counts = data.get("counts") or {}
    filters = [
        {"value": "", "label": "All", "count": sum(int(n or 0) for n in counts.values())},
        *(
            {"value": value, "label": label, "count": int(counts.get(value) or 0)}
            for value, label in listing_rules.STATUSES
        ),
    ]
    return render(
        request,
        "dashboard/index.html",
        {
            "listings": [_with_cover(item) for item in data.get("listings") or []],
            "total": data.get("total", 0),
            "page": data.get("page", 1),
            "pages": data.get("pages", 1),
            "status": status,
            "filters": filters,
            "settable_statuses": listing_rules.SELLER_SETTABLE_STATUSES,
        },
    )
