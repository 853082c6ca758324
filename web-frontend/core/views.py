"""The site's error pages: friendly HTML, never a traceback.

Wired as Django's handler404/handler500/CSRF failure view (config/urls.py, settings) and
called by ``core.middleware.ExperienceApiMiddleware`` for experience-API errors.
"""

from __future__ import annotations

from django.shortcuts import render


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A POST without a valid CSRF token (or from another site): 403, explained."""
    return render(request, "403.html", {"csrf_failed": True}, status=403)


def server_error(request):
    # Rendered while something is already broken: do not ask the API who is logged in.
    return render(request, "500.html", {"current_user": None}, status=500)


def service_unavailable(request, *, status: int = 503):
    """A dependency is down or too slow (503), or the visitor is rate limited (429)."""
    context = {"current_user": None, "rate_limited": status == 429}
    response = render(request, "503.html", context, status=status)
    response["Retry-After"] = "5" if status == 429 else "10"
    return response
