"""The search results page: filters, sort, facets, highlights, pagination."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from clients.experience_api import SearchUnavailable
from search.forms import SearchForm


@require_GET
def search(request):
    form = SearchForm(request.GET)
    form.is_valid()  # invalid filters are shown next to their fields and left out
    params = form.api_params()
    context = {
        "form": form,
        "params": params,
        "query": params.get("q", ""),
        "selected_category": params.get("category", ""),
        "search_unavailable": False,
    }
    status = 200
    try:
        data = request.api.search(params)
    except SearchUnavailable:
        # The search engine is down: say so on a full page (header, filters, footer all
        # work) with status 503, so monitors and crawlers see the truth.
        context["search_unavailable"] = True
        status = 503
    else:
        facets = (data.get("facets") or {}).get("category") or []
        context.update(
            results=data.get("results") or [],
            total=data.get("total") or 0,
            page=data.get("page") or 1,
            pages=data.get("pages") or 0,
            facets=facets,
            selected_category_name=next(
                (f["name"] for f in facets if f.get("slug") == params.get("category")), ""
            ),
        )
    response = render(request, "search/results.html", context, status=status)
    if status == 503:
        response["Retry-After"] = "10"
    return response
