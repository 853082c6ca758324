"""The ``auth`` cookie, the current viewer and the ``next`` redirect rule.

The cookie holds the authenticator issued by models-api (through the experience API).
It is the only login state in this tier: either web instance can serve any request.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from clients.experience_api import (
    NO_VIEWER_YET,
    ExperienceApi,
    ExperienceApiError,
    NotAuthenticated,
)
from mpcommon.errors import NOT_AUTHENTICATED

logger = logging.getLogger(__name__)

# models-api issues URL-safe base64 tokens (43 characters). Anything that does not look
# like a token is not sent upstream at all (it could not be valid, and a header must
# never carry attacker-chosen control characters).
_AUTHENTICATOR_FORMAT = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def authenticator_from(request) -> str | None:
    """The authenticator in the request's ``auth`` cookie, if it is well-formed."""
    value = request.COOKIES.get(settings.AUTH_COOKIE_NAME, "")
    return value if _AUTHENTICATOR_FORMAT.match(value) else None


def auth_cookie_max_age(expires_at: str | None, *, now: datetime | None = None) -> int:
    """Seconds until ``expires_at`` (ISO 8601), so the cookie dies with the authenticator."""
    if expires_at:
        try:
            expiry = datetime.fromisoformat(expires_at)
        except (TypeError, ValueError):
            expiry = None
        if expiry is not None:
            if expiry.tzinfo is None:
                expiry = expiry.replace(tzinfo=UTC)
            remaining = (expiry - (now or datetime.now(UTC))).total_seconds()
            return max(0, int(remaining))
    return settings.AUTH_COOKIE_DEFAULT_MAX_AGE


def set_auth_cookie(response, request, *, authenticator: str, expires_at: str | None) -> None:
    """Store the authenticator: HttpOnly, SameSite=Lax, Secure when served over HTTPS."""
    response.set_cookie(
        settings.AUTH_COOKIE_NAME,
        authenticator,
        max_age=auth_cookie_max_age(expires_at),
        path="/",
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    # Tell the middleware not to delete the cookie we have just set.
    response.auth_cookie_set = True


def delete_auth_cookie(response) -> None:
    response.delete_cookie(settings.AUTH_COOKIE_NAME, path="/", samesite="Lax")


def safe_next(request, candidate: str | None, default: str = "/") -> str:
    """``candidate`` if it is a local path on this site, else ``default`` (no open redirect)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    # No host is allowed at all: only paths such as /listings/new/?x=1 pass.
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts=set(), require_https=request.is_secure()
    ):
        return candidate
    return default


_UNRESOLVED = object()


class Viewer:
    """Who is looking at the page: as the page's own answer said (home, listing detail:
    ``ExperienceApi.page_viewer``), else resolved lazily with ``GET /api/v1/me``.

    At most one call per request, and none at all without an ``auth`` cookie.
    """

    def __init__(self, api: ExperienceApi):
        self.api = api
        self._user = _UNRESOLVED

    @property
    def has_authenticator(self) -> bool:
        return bool(self.api.authenticator)

    def _from_page(self) -> None:
        # A page answer (home, listing) may already have said who the viewer is.
        if self._user is _UNRESOLVED and self.api.page_viewer is not NO_VIEWER_YET:
            self._user = self.api.page_viewer

    @property
    def user(self) -> dict | None:
        """The logged-in user for the page header, or None. Never raises."""
        self._from_page()
        if self._user is _UNRESOLVED:
            if not self.api.authenticator:
                self._user = None
            else:
                try:
                    self._user = self.api.me()
                except NotAuthenticated:
                    self._user = None
                except ExperienceApiError as exc:
                    # The header degrades to "anonymous"; the page itself decides whether
                    # the API failure matters. Remembered so we do not wait twice.
                    logger.warning("could not resolve the viewer", extra={"error": str(exc)})
                    self._user = None
        return self._user

    def require(self) -> dict:
        """The logged-in user, or NotAuthenticated (API failures propagate as they are)."""
        self._from_page()
        if self._user is _UNRESOLVED:
            self._user = self.api.me() if self.api.authenticator else None
        if not self._user:
            raise NotAuthenticated("Log in first.", status=401, code=NOT_AUTHENTICATED)
        return self._user


def login_required(view):
    """Pages for logged-in users: others go to ``/login/?next=<this page>``.

    The redirect itself is made by ``core.middleware.ExperienceApiMiddleware`` from the
    NotAuthenticated exception, the same way as when the API refuses an expired cookie.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.viewer.require()
        return view(request, *args, **kwargs)

    return wrapper


def login_required_back_to(next_url):
    """``login_required`` for POST-only endpoints (a heart, a delete button): logging in
    comes back to the page the form was on, ``next_url(request, *args, **kwargs)`` (a
    local path), not to this URL, which has no GET. Covers an authenticator the API
    refuses while the view runs, too.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                request.viewer.require()
                return view(request, *args, **kwargs)
            except NotAuthenticated:
                query = urlencode({"next": next_url(request, *args, **kwargs)})
                return HttpResponseRedirect(f"/login/?{query}")

        return wrapper

    return decorator
