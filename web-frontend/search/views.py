"""The search results page: filters, sort, facets, highlights, pagination."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from clients.experience_api import SearchUnavailable, ValidationFailed
from core import shell
from core.forms import apply_api_errors
from favourites.state import favourited_among
from mpcommon.account_rules import SAVED_SEARCH_FREQUENCIES
from saved_searches.forms import search_fields
from search.forms import SearchForm


def _save_search_login_url(fields: dict) -> str:
    """Log in, then the saved-searches page with its form filled in with this search
    (the same link for every anonymous visitor of the page: it stays edge-cacheable)."""
    after = "/saved-searches/" + (f"?{urlencode(fields)}" if fields else "")
    return "/login/?" + urlencode({"next": after})


@require_safe
@shell.member_shell
def search(request):
    form = SearchForm(request.GET)
    form.is_valid()  # invalid filters are shown next to their fields and left out
    params = form.api_params()
    saved_search = search_fields(params)
    context = {
        "form": form,
        "params": params,
        # "Save this search": the current (valid) parameters a saved search keeps; an
        # anonymous visitor gets a login link coming back to the prefilled form instead.
        "saved_search_fields": saved_search,
        "saved_search_frequencies": SAVED_SEARCH_FREQUENCIES,
        "saved_search_login_url": _save_search_login_url(saved_search),
        "query": params.get("q", ""),
        "selected_category": params.get("category", ""),
        "search_unavailable": False,
    }
    try:
        data = request.api.search(params)
    except SearchUnavailable:
        # Only the search engine is down: a complete page (header, filters, footer) that
        # says so, with status 200 and never cached. Not 503 on purpose: HAProxy retries
        # GETs answered 503 on the other instance (retry-on ... 503), which here would
        # only repeat the same failing search up to four times against a dead engine.
        context["search_unavailable"] = True
        response = render(request, "search/results.html", context)
        patch_cache_control(response, no_store=True)
        response["X-Search-Unavailable"] = "1"
        return response
    except ValidationFailed as error:
        # The API's rules may be stricter than ours (e.g. a lower page cap): show its
        # messages next to the filters instead of failing the page.
        apply_api_errors(form, error)
        return render(request, "search/results.html", {**context, "results": [], "total": 0})
    facets = (data.get("facets") or {}).get("category") or []
    results = data.get("results") or []
    context.update(
        results=results,
        favourite_ids=favourited_among(request, results, answer=data),
        total=data.get("total") or 0,
        page=data.get("page") or 1,
        pages=data.get("pages") or 0,
        facets=facets,
        selected_category_name=next(
            (f["name"] for f in facets if f.get("slug") == params.get("category")), ""
        ),
    )
    return render(request, "search/results.html", context)
