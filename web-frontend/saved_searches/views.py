"""Saved searches: the list (pause, resume, delete), saving one, and its changes.

Alerts themselves are sent by the batch alerts worker and models-api; this tier only
keeps the list (docs/accounts-and-notifications.md, "Saved searches").
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from clients.experience_api import NotFound, ValidationFailed
from core import views as error_views
from core.auth import login_required, login_required_back_to
from core.forms import apply_api_errors
from mpcommon import account_rules
from saved_searches.forms import SEARCH_FIELDS, SavedSearchForm

LIST_URL = "/saved-searches/"
FREQUENCY_LABELS = dict(account_rules.SAVED_SEARCH_FREQUENCIES)
SAVED_MESSAGES = {
    "instant": "Search saved: we will email you as soon as a matching listing is posted.",
    "daily": "Search saved: we will email you a daily digest of new matching listings.",
}


def _back_to_list(request, *args, **kwargs) -> str:
    return LIST_URL


def _search_url(saved: dict) -> str:
    """The ``/search/`` page the saved search stands for: the API's ``search_url`` when it
    is a local search path, else built from its query and filters."""
    url = saved.get("search_url")
    if isinstance(url, str) and (url == "/search/" or url.startswith("/search/?")):
        return url
    filters = saved.get("filters") if isinstance(saved.get("filters"), dict) else {}
    params = {"q": saved.get("query") or "", **filters}
    query = urlencode({k: v for k, v in params.items() if k in SEARCH_FIELDS and v})
    return f"/search/?{query}" if query else "/search/"


def _row(saved: dict, category_names: dict[str, str]) -> dict:
    filters = saved.get("filters") if isinstance(saved.get("filters"), dict) else {}
    category = filters.get("category") or ""
    frequency = saved.get("frequency") or account_rules.DEFAULT_SAVED_SEARCH_FREQUENCY
    return {
        "id": saved.get("id"),
        "query": saved.get("query") or "",
        "category": category_names.get(category, category),
        "min_price": filters.get("min_price"),
        "max_price": filters.get("max_price"),
        "condition": filters.get("condition") or "",
        "frequency": frequency,
        "frequency_label": FREQUENCY_LABELS.get(frequency, frequency),
        "paused": bool(saved.get("paused")),
        "created_at": saved.get("created_at"),
        "url": _search_url(saved),
    }


def _prefill(query) -> dict:
    """Initial values from the page's query string (the search page's "log in to save
    this search" link comes back here with the search in it)."""
    names = (*SEARCH_FIELDS, "frequency")
    return {name: query.get(name) for name in names if query.get(name)}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def saved_search_list(request):
    categories = request.api.categories()
    if request.method == "POST":
        form = SavedSearchForm(request.POST, categories=categories)
        if form.is_valid():
            payload = form.api_payload()
            try:
                request.api.save_search(**payload)
            except ValidationFailed as error:
                # Over the cap (non_field_errors) or a filter the API refuses: shown here.
                apply_api_errors(form, error, {"query": "q"})
            else:
                messages.success(request, SAVED_MESSAGES.get(payload["frequency"], "Saved."))
                return HttpResponseRedirect(LIST_URL)
    else:
        form = SavedSearchForm(initial=_prefill(request.GET), categories=categories)
    names = {c["slug"]: c["name"] for c in categories}
    rows = [_row(s, names) for s in request.api.saved_searches() if isinstance(s, dict)]
    return render(
        request,
        "saved_searches/list.html",
        {
            "form": form,
            "searches": rows,
            "max_saved_searches": account_rules.MAX_SAVED_SEARCHES,
        },
    )


@require_POST
@login_required_back_to(_back_to_list)
def saved_search_update(request, saved_search_id: int):
    """Pause or resume the alerts (``paused`` ``true``/``false``), or change ``frequency``."""
    changes = {}
    paused = request.POST.get("paused")
    frequency = request.POST.get("frequency")
    if paused is not None:
        if paused not in ("true", "false"):
            return error_views.bad_request(request)
        changes["paused"] = paused == "true"
    if frequency is not None:
        if frequency not in account_rules.SAVED_SEARCH_FREQUENCY_VALUES:
            return error_views.bad_request(request)
        changes["frequency"] = frequency
    if not changes:
        return error_views.bad_request(request)
    try:
        request.api.update_saved_search(saved_search_id, **changes)
    except ValidationFailed as error:
        messages.error(request, " ".join(sum(error.fields.values(), [])) or error.detail)
        return HttpResponseRedirect(LIST_URL)
    if "paused" in changes:
        messages.success(
            request,
            "Alerts paused for this search."
            if changes["paused"]
            else "Alerts resumed for this search.",
        )
    else:
        messages.success(request, f"Alerts for this search: {FREQUENCY_LABELS[frequency].lower()}.")
    return HttpResponseRedirect(LIST_URL)


@require_POST
@login_required_back_to(_back_to_list)
def saved_search_delete(request, saved_search_id: int):
    """Owner only: a stranger's search is the API's 403, the site's 403 page."""
    try:
        request.api.delete_saved_search(saved_search_id)
    except NotFound:
        messages.info(request, "That saved search was already deleted.")
    else:
        messages.success(request, "Saved search deleted: no more alerts for it.")
    return HttpResponseRedirect(LIST_URL)
