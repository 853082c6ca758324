"""Per-request API client and viewer, and the one place API errors become pages."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers

from clients.experience_api import (
    ExperienceApi,
    ExperienceApiUnavailable,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    SearchUnavailable,
    ValidationFailed,
)
from core import views as error_views
from core.auth import Viewer, authenticator_from, delete_auth_cookie

logger = logging.getLogger(__name__)


def forwarded_for(request) -> str:
    """The X-Forwarded-For chain to pass upstream: what HAProxy sent plus its address."""
    chain = request.META.get("HTTP_X_FORWARDED_FOR", "").strip()
    remote = request.META.get("REMOTE_ADDR", "")
    return ", ".join(part for part in (chain, remote) if part)


class ExperienceApiMiddleware:
    """Gives each request ``request.api`` and ``request.viewer``; maps API errors to pages.

    - NotAuthenticated (no cookie on a protected page, or the API refused it): the cookie
      is deleted and the browser goes to ``/login/?next=<this page>``.
    - NotFound: the site's 404 page. PermissionDenied: the 403 page. A ValidationFailed
      no view handled: the 400 page.
    - ExperienceApiUnavailable (down, slow, 5xx) and a stray SearchUnavailable: the 503 page.
    - RateLimited: the 503 page's layout with status 429.
    An ``auth`` cookie the API has rejected (expired or revoked) is deleted on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_cookie = request.COOKIES.get(settings.AUTH_COOKIE_NAME)
        authenticator = authenticator_from(request)
        # A malformed cookie is useless; drop it as if the API had rejected it.
        request.auth_cookie_rejected = bool(raw_cookie) and authenticator is None

        def reject():
            request.auth_cookie_rejected = True

        request.api = ExperienceApi(
            authenticator=authenticator,
            forwarded_for=forwarded_for(request),
            on_rejected_authenticator=reject,
        )
        request.viewer = Viewer(request.api)

        response = self.get_response(request)

        if request.auth_cookie_rejected and not getattr(response, "auth_cookie_set", False):
            delete_auth_cookie(response)
        # Pages differ per visitor (header, forms): shared caches must keep them apart,
        # and a logged-in page must never be stored by one at all.
        patch_vary_headers(response, ["Cookie"])
        if raw_cookie:
            patch_cache_control(response, private=True, no_cache=True)
        if settings.WEB_INSTANCE:
            response["X-Served-By"] = settings.WEB_INSTANCE
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, NotAuthenticated):
            return self._to_login(request)
        if isinstance(exception, NotFound):
            return error_views.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return error_views.permission_denied(request, exception)
        if isinstance(exception, ValidationFailed):
            # Views turn the API's 400s into form errors; one that gets here means the
            # request itself was unusable (e.g. a hand-edited URL).
            return error_views.bad_request(request, exception)
        if isinstance(exception, RateLimited):
            return error_views.service_unavailable(request, status=429)
        if isinstance(exception, ExperienceApiUnavailable | SearchUnavailable):
            logger.warning(
                "page failed: experience API unavailable",
                extra={"path": request.path, "error": str(exception)},
            )
            return error_views.service_unavailable(request)
        return None

    @staticmethod
    def _to_login(request):
        # After a POST, coming back means the form page again (a GET of the same path).
        next_url = request.get_full_path() if request.method == "GET" else request.path
        response = HttpResponseRedirect("/login/?" + urlencode({"next": next_url}))
        if request.COOKIES.get(settings.AUTH_COOKIE_NAME):
            delete_auth_cookie(response)
        return response


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy (no inline script or style anywhere on the site)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
