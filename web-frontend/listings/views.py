"""Home, listing detail and create listing (thin: validate, call the API, render)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from clients.experience_api import ValidationFailed
from core.auth import login_required
from core.forms import apply_api_errors
from listings.forms import ListingForm


@require_safe
def home(request):
    data = request.api.home()
    return render(
        request,
        "listings/home.html",
        {"newest": data.get("newest", []), "popular": data.get("popular", [])},
    )


@require_safe
def detail(request, listing_id: int):
    listing = request.api.listing(listing_id)
    return render(
        request,
        "listings/detail.html",
        {"listing": listing, "recommendations": listing.get("recommendations") or []},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def create(request):
    form = ListingForm(request.POST or None, categories=request.api.categories())
    if request.method == "POST" and form.is_valid():
        try:
            listing = request.api.create_listing(**form.api_payload())
        except ValidationFailed as error:
            apply_api_errors(form, error)
        else:
            messages.success(request, "Your listing is live.")
            return HttpResponseRedirect(f"/listings/{int(listing['id'])}/")
    return render(request, "listings/create.html", {"form": form})
