"""Template context shared by every page (the header needs the viewer and the query)."""

from __future__ import annotations

from django.conf import settings


def site(request):
    viewer = getattr(request, "viewer", None)
    return {
        "site_name": settings.SITE_NAME,
        # A callable, so the template resolves the viewer (GET /api/v1/me) only if the
        # header actually asks, and only when an auth cookie exists.
        "current_user": (lambda: viewer.user) if viewer is not None else None,
        "header_query": request.GET.get("q", "") if request.path == "/search/" else "",
    }
