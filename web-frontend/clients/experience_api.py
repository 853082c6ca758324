"""The one client of the experience API (docs/internal-contracts.md, "Experience API shapes").

Views never call ``requests`` themselves: they call methods of :class:`ExperienceApi`,
built once per request by ``core.middleware.ExperienceApiMiddleware`` with the caller's
authenticator and address, and get plain dicts back or one of the typed exceptions below.
Those exceptions are turned into pages in exactly one place (the middleware).
"""

from __future__ import annotations

import http.cookiejar
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mpcommon import errors as envelope
from mpcommon.request_id import outgoing_headers

logger = logging.getLogger(__name__)


class ExperienceApiError(Exception):
    """Base of every error this client raises."""

    def __init__(self, detail: str = "", *, status: int | None = None, code: str = ""):
        super().__init__(detail or code or self.__class__.__name__)
        self.detail = detail
        self.status = status
        self.code = code


class ExperienceApiUnavailable(ExperienceApiError):
    """The API could not be reached in time, or answered with a server error."""


class SearchUnavailable(ExperienceApiError):
    """The search engine behind the API is down; the rest of the API still works."""


class NotFound(ExperienceApiError):
    """The resource does not exist (404)."""


class NotAuthenticated(ExperienceApiError):
    """The authenticator is missing, expired or revoked (401)."""


class InvalidCredentials(ExperienceApiError):
    """Login refused: wrong username or password."""


class PermissionDenied(ExperienceApiError):
    """Authenticated, but not allowed to do this (403)."""


class RateLimited(ExperienceApiError):
    """Too many requests from this client (429)."""


class Conflict(ExperienceApiError):
    """The listing's or order's state forbids this now (409, e.g. ``listing_reserved``)."""


class ValidationFailed(ExperienceApiError):
    """The API rejected the input (400); ``fields`` maps field names to messages."""

    def __init__(self, detail: str = "", *, fields: Mapping[str, list[str]] | None = None, **kw):
        super().__init__(detail, **kw)
        self.fields: dict[str, list[str]] = {
            name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for name, msgs in (fields or {}).items()
        }


# ``ExperienceApi.page_viewer`` before any page answer said who the viewer is.
NO_VIEWER_YET = object()


class _RejectAllCookies(http.cookiejar.DefaultCookiePolicy):
    """The pooled session is shared by all users: it must never remember a cookie."""

    def set_ok(self, cookie, request):  # noqa: ARG002 - signature fixed by cookiejar
        return False


_session: requests.Session | None = None
_session_lock = threading.Lock()


def _build_session() -> requests.Session:
    session = requests.Session()
    session.cookies.set_policy(_RejectAllCookies())
    session.trust_env = False  # no proxies from the environment between our own tiers
    # Connection errors are retried once (cheap and safe: nothing reached the server);
    # read timeouts and error statuses are not, so a slow API yields a 503 page within
    # one timeout instead of several. Only idempotent methods are retried at all.
    retry = Retry(
        total=1,
        connect=1,
        read=0,
        status=0,
        other=0,
        backoff_factor=0.05,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
    )
    adapter = HTTPAdapter(
        pool_connections=1,
        pool_maxsize=settings.EXPERIENCE_API_POOL_SIZE,
        max_retries=retry,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"Accept": "application/json", "User-Agent": "web-frontend"})
    return session


def get_session() -> requests.Session:
    """The process-wide pooled session (created on first use, shared by threads)."""
    global _session
    if _session is None:
        with _session_lock:
            if _session is None:
                _session = _build_session()
    return _session


def _exchange(method: str, url: str, *, headers: dict, timeout, **body) -> requests.Response:
    """One request through the pooled session's adapter (its connection pool and retry
    rule), without ``Session.request``: the session's cookie jar, environment, hooks and
    redirects are nothing this client uses (cookies are never kept, no proxies, the API
    never redirects), and merging them was ~40% of each call's CPU (issue 11). The body
    is read at once, so the connection goes back to the pool."""
    session = get_session()
    prepared = requests.PreparedRequest()
    prepared.prepare(method=method, url=url, headers={**session.headers, **headers}, **body)
    response = session.get_adapter(url).send(prepared, timeout=timeout)
    response.content  # noqa: B018 - reads the body (stream=False, as Session.request)
    return response


def _json(response: requests.Response) -> Any:
    """The body as JSON (orjson: C, ~5x the standard library's decoder on a page of
    cards); ValueError when it is not JSON."""
    return orjson.loads(response.content)


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = _json(response)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class ExperienceApi:
    """Calls the experience API on behalf of one incoming request.

    ``authenticator`` is the value of the ``auth`` cookie (or None); it is sent as
    ``Authorization: Bearer``. ``forwarded_for`` is the X-Forwarded-For chain to pass on.
    ``on_rejected_authenticator`` is called when the API says the authenticator is no
    longer valid, so the caller can delete the cookie. ``member_shell``: the calls render
    a page's member shell (docs/edge-assembly.md), and say so with ``X-Edge-Shell: 1``
    (a listing's answer then records no page view: the assembled page's viewer fragment
    does).
    """

    def __init__(
        self,
        *,
        authenticator: str | None = None,
        forwarded_for: str | None = None,
        on_rejected_authenticator: Callable[[], None] | None = None,
        member_shell: bool = False,
    ):
        self.authenticator = authenticator
        self.forwarded_for = forwarded_for
        self._on_rejected = on_rejected_authenticator
        self.member_shell = member_shell
        # The viewer a page answer carried (``_take_viewer``): NO_VIEWER_YET until one did.
        self.page_viewer: dict | None | object = NO_VIEWER_YET

    # -- plumbing -------------------------------------------------------------------
    def _headers(self, *, with_auth: bool) -> dict[str, str]:
        headers = dict(outgoing_headers())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if self.member_shell:
            headers["X-Edge-Shell"] = "1"
        if with_auth and self.authenticator:
            headers["Authorization"] = f"Bearer {self.authenticator}"
        return headers

    def _send(
        self,
        method: str,
        path: str,
        *,
        auth: str,
        params=None,
        json=None,
        data=None,
        files=None,
        read_timeout: float | None = None,
    ):
        """Send one request; ``auth`` is ``none``, ``optional`` or ``required``.

        The read timeout is ``read_timeout``, else the upload one for a request with
        files (models-api re-encodes every photo before anyone answers), else the usual.
        """
        url = f"{settings.EXPERIENCE_API_URL}/api/v1/{path}"
        if read_timeout is None:
            read_timeout = (
                settings.EXPERIENCE_API_UPLOAD_READ_TIMEOUT
                if files
                else settings.EXPERIENCE_API_READ_TIMEOUT
            )
        timeout = (settings.EXPERIENCE_API_CONNECT_TIMEOUT, read_timeout)
        with_auth = auth != "none"
        if auth == "required" and not self.authenticator:
            raise NotAuthenticated("Log in first.", status=401, code=envelope.NOT_AUTHENTICATED)
        try:
            response = _exchange(
                method,
                url,
                params=params,
                json=json,
                data=data,
                files=files,
                headers=self._headers(with_auth=with_auth),
                timeout=timeout,
            )
            if response.status_code == 401 and auth == "optional" and self.authenticator:
                # An expired cookie must not break a public page: forget it and ask again
                # as an anonymous visitor.
                self._reject_authenticator()
                response = _exchange(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=self._headers(with_auth=False),
                    timeout=timeout,
                )
        except requests.RequestException as exc:
            logger.warning(
                "experience API unreachable",
                extra={"method": method, "path": path, "error": exc.__class__.__name__},
            )
            raise ExperienceApiUnavailable(str(exc), code="unreachable") from exc
        return response

    def _reject_authenticator(self) -> None:
        self.authenticator = None
        if self._on_rejected is not None:
            self._on_rejected()

    def _call(
        self,
        method: str,
        path: str,
        *,
        auth: str = "none",
        params=None,
        json=None,
        data=None,
        files=None,
        read_timeout: float | None = None,
    ):
        response = self._send(
            method,
            path,
            auth=auth,
            params=params,
            json=json,
            data=data,
            files=files,
            read_timeout=read_timeout,
        )
        status = response.status_code
        if status == 204:
            return None
        if 200 <= status < 300:
            try:
                return _json(response)
            except ValueError as exc:
                raise ExperienceApiUnavailable("not JSON", status=status) from exc
        body = _error_body(response)
        code = str(body.get("error", ""))
        detail = str(body.get("detail", ""))
        if status == 400:
            raise ValidationFailed(detail, fields=body.get("fields"), status=status, code=code)
        if status == 401:
            if code == envelope.INVALID_CREDENTIALS or auth == "none":
                raise InvalidCredentials(detail, status=status, code=code)
            if self.authenticator:
                self._reject_authenticator()
            raise NotAuthenticated(detail, status=status, code=code)
        if status == 403:
            raise PermissionDenied(detail, status=status, code=code)
        if status == 404:
            raise NotFound(detail, status=status, code=code)
        if status == 409:
            raise Conflict(detail, status=status, code=code)
        if status == 429:
            raise RateLimited(detail, status=status, code=code)
        if status == 503 and code == envelope.SEARCH_UNAVAILABLE:
            raise SearchUnavailable(detail, status=status, code=code)
        logger.warning(
            "experience API error",
            extra={"method": method, "path": path, "status": status, "code": code},
        )
        raise ExperienceApiUnavailable(detail, status=status, code=code)

    def _page(self, path: str, *, params=None) -> dict:
        """A page answer (optional auth), its viewer part taken (``_take_viewer``)."""
        body = self._call("GET", path, auth="optional", params=params)
        if self.authenticator and isinstance(body, dict) and "viewer" in body:
            self._take_viewer(body)
        return body

    def _take_viewer(self, body: dict) -> None:
        """Remember the viewer a page answer carried (docs/internal-contracts.md, "viewer
        part"): the user as ``me()`` answers it. A refused authenticator is None and is
        reported as by a 401 (the cookie goes). One the API could not verify is not
        remembered: the viewer is then asked with ``me()``, as without a viewer part
        (whose failure the page handles as before). ``favourited`` stays in the body."""
        viewer = body.pop("viewer")
        error = body.pop("viewer_error", None)
        if isinstance(viewer, dict):
            self.page_viewer = viewer
        elif error == envelope.NOT_AUTHENTICATED:
            self.page_viewer = None
            self._reject_authenticator()

    # -- pages ----------------------------------------------------------------------
    # With an authenticator, home and listing answers also carry the viewer and the
    # hearts' state (``favourited``): one call for a logged-in page instead of three.
    def home(self) -> dict:
        """``{"newest": [card], "popular": [card]}`` (+ ``favourited`` when logged in)."""
        return self._page("home")

    def listing(self, listing_id: int) -> dict:
        """A listing with ``seller``, ``view_count`` and ``recommendations`` ([card])
        (+ ``favourited`` when logged in)."""
        return self._page(f"listings/{int(listing_id)}")

    def create_listing(self, *, title, description, price, category, condition=None) -> dict:
        """Create a listing as the logged-in user; returns the new listing."""
        payload = {
            "title": title,
            "description": description,
            "price": price,
            "category": category,
        }
        if condition:
            payload["condition"] = condition
        return self._call("POST", "listings", auth="required", json=payload)

    def search(self, params: Mapping[str, Any]) -> dict:
        """Search results, total, pages and category facets; raises SearchUnavailable."""
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return self._page("search", params=clean)

    def categories(self) -> list[dict]:
        """The fixed, seeded categories: ``[{"slug", "name"}]``."""
        return self._call("GET", "categories")["categories"]

    def user_profile(self, user_id: int, *, page: int = 1) -> dict:
        """``{"user", "listings": [card], "total", "page", "pages"}``."""
        return self._call("GET", f"users/{int(user_id)}", params={"page": page})

    # -- accounts -------------------------------------------------------------------
    def signup(self, *, username: str, email: str, password: str) -> dict:
        """Create an account; ``{"authenticator", "expires_at", "user"}``."""
        body = {"username": username, "email": email, "password": password}
        return self._call("POST", "auth/signup", json=body, read_timeout=_credential_timeout())

    def login(self, *, username: str, password: str) -> dict:
        """Exchange credentials for an authenticator; raises InvalidCredentials."""
        body = {"username": username, "password": password}
        return self._call("POST", "auth/login", json=body, read_timeout=_credential_timeout())

    def logout(self) -> None:
        """Revoke the current authenticator server-side."""
        self._call("POST", "auth/logout", auth="required")

    def me(self) -> dict:
        """The user the authenticator belongs to; raises NotAuthenticated."""
        return self._call("GET", "me", auth="required")

    # ---- listings management and photos (issue 12)
    # docs/selling-and-buying.md, "Experience API additions". ``photos`` are uploaded
    # files (anything with ``name``, ``read`` and ``content_type``), sent as repeated
    # multipart ``photos`` parts in the given order.
    def create_listing_with_photos(self, *, fields: Mapping[str, Any], photos) -> dict:
        """Create a listing and its photos in one multipart call; returns the listing."""
        data = [(name, value) for name, value in fields.items() if value not in (None, "")]
        return self._call(
            "POST", "listings", auth="required", data=data, files=_photo_parts(photos)
        )

    def update_listing(
        self,
        listing_id: int,
        *,
        fields: Mapping[str, Any],
        photo_order: list[int] | None = None,
        photos=(),
    ) -> dict:
        """PATCH a listing as its seller: fields, kept photos in order, new photos.

        Without new files this is JSON (so an empty ``photo_order`` removes every photo);
        with files it is multipart, ``photo_order`` a repeated field.
        """
        path = f"listings/{int(listing_id)}"
        if not photos:
            body = dict(fields)
            if photo_order is not None:
                body["photo_order"] = [int(pk) for pk in photo_order]
            return self._call("PATCH", path, auth="required", json=body)
        data = [(name, value) for name, value in fields.items() if value is not None]
        data += [("photo_order", str(int(pk))) for pk in photo_order or ()]
        return self._call("PATCH", path, auth="required", data=data, files=_photo_parts(photos))

    def set_listing_status(self, listing_id: int, status: str) -> dict:
        """The seller sets ``active``, ``withdrawn`` or ``sold``; raises Conflict (409)."""
        body = {"status": status}
        return self._call("PATCH", f"listings/{int(listing_id)}", auth="required", json=body)

    def delete_listing(self, listing_id: int) -> None:
        """Delete a listing as its seller (204); raises Conflict when it is reserved."""
        self._call("DELETE", f"listings/{int(listing_id)}", auth="required")

    def add_listing_photos(self, listing_id: int, photos) -> dict:
        """Append photos to a listing (multipart ``photos``); returns the listing."""
        path = f"listings/{int(listing_id)}/photos"
        return self._call("POST", path, auth="required", files=_photo_parts(photos))

    def dashboard(self, *, page: int = 1, status: str | None = None) -> dict:
        """``{"listings": [listing + open_orders], "total", "page", "pages", "counts"}``."""
        params = {"page": page}
        if status:
            params["status"] = status
        return self._call("GET", "dashboard", auth="required", params=params)

    # ---- orders and threads (issue 12)
    def orders(self, *, role: str | None = None, page: int = 1) -> dict:
        params = {"page": page, **({"role": role} if role else {})}
        return self._call("GET", "orders", auth="required", params=params)

    def order(self, order_id: int) -> dict:
        return self._call("GET", f"orders/{int(order_id)}", auth="required")

    def place_order(self, listing_id: int, *, message: str = "") -> dict:
        body = {"listing": int(listing_id), **({"message": message} if message else {})}
        return self._call("POST", "orders", auth="required", json=body)

    def act_on_order(self, order_id: int, action: str) -> dict:
        return self._call(
            "POST", f"orders/{int(order_id)}/actions", auth="required", json={"action": action}
        )

    def threads(self, *, page: int = 1) -> dict:
        return self._call("GET", "threads", auth="required", params={"page": page})

    def thread(self, thread_id: int, *, page: int = 1) -> dict:
        return self._call(
            "GET", f"threads/{int(thread_id)}", auth="required", params={"page": page}
        )

    def message_seller(self, listing_id: int, *, body: str, client_token: str) -> dict:
        return self._call(
            "POST",
            f"listings/{int(listing_id)}/messages",
            auth="required",
            json={"body": body, "client_token": client_token},
        )

    def reply(self, thread_id: int, *, body: str, client_token: str) -> dict:
        return self._call(
            "POST",
            f"threads/{int(thread_id)}",
            auth="required",
            json={"body": body, "client_token": client_token},
        )

    # ---- accounts, favourites and saved searches (issue 13)
    # docs/accounts-and-notifications.md, "Experience API additions".
    def update_me(self, *, display_name: str, bio: str) -> dict:
        """Change the logged-in user's public profile; returns the user (as ``me``)."""
        body = {"display_name": display_name, "bio": bio}
        return self._call("PATCH", "me", auth="required", json=body)

    def change_password(self, *, old_password: str, new_password: str) -> dict:
        """``{"revoked": n}``: every other authenticator of the user is revoked, this one
        keeps working. A wrong old password is a 400 on ``old_password``."""
        body = {"old_password": old_password, "new_password": new_password}
        return self._call(
            "POST", "auth/password", auth="required", json=body, read_timeout=_credential_timeout()
        )

    def request_password_reset(self, *, email: str) -> dict:
        """Ask for a reset link; the same 202 answer whether or not the address exists."""
        return self._call("POST", "auth/password-reset", json={"email": email})

    def check_password_reset(self, token: str) -> dict:
        """``{"username"}`` when the token is usable; a 400 on ``token`` otherwise."""
        return self._call("POST", "auth/password-reset/check", json={"token": token})

    def confirm_password_reset(self, *, token: str, new_password: str) -> dict:
        """Set the new password with a reset token (single use: it dies with the old
        password); every authenticator of the user is revoked."""
        body = {"token": token, "new_password": new_password}
        return self._call(
            "POST", "auth/password-reset/confirm", json=body, read_timeout=_credential_timeout()
        )

    def favourites(self, *, page: int = 1) -> dict:
        """The viewer's favourites: ``{"results": [card], "total", "page", "pages"}``."""
        return self._call("GET", "favourites", auth="required", params={"page": page})

    def favourite_ids(self, listing_ids) -> set[int]:
        """Which of ``listing_ids`` (at most 100) the viewer has favourited."""
        ids = ",".join(str(int(pk)) for pk in listing_ids)
        body = self._call("GET", "favourites/ids", auth="required", params={"listings": ids})
        return {int(pk) for pk in (body or {}).get("favourited") or []}

    def favourite(self, listing_id: int) -> dict:
        """Save a listing (idempotent): ``{"listing", "favourited": true, "count"}``."""
        return self._call("PUT", f"favourites/{int(listing_id)}", auth="required")

    def unfavourite(self, listing_id: int) -> dict:
        """Remove a saved listing (idempotent): ``{"listing", "favourited": false, "count"}``."""
        return self._call("DELETE", f"favourites/{int(listing_id)}", auth="required")

    def saved_searches(self) -> list[dict]:
        """The viewer's saved searches, newest first."""
        return (self._call("GET", "saved-searches", auth="required") or {}).get("results") or []

    def save_search(self, *, query: str, filters: Mapping[str, Any], frequency: str) -> dict:
        """Save a search (``filters``: category, min_price, max_price, condition; empty ones
        are left out). The same search again answers with the existing one; over the cap
        is a 400 on ``non_field_errors``."""
        body = {"query": query, **{k: v for k, v in filters.items() if v not in (None, "")}}
        body["frequency"] = frequency
        return self._call("POST", "saved-searches", auth="required", json=body)

    def update_saved_search(self, saved_search_id: int, **changes) -> dict:
        """PATCH ``paused`` and/or ``frequency`` of the viewer's own saved search."""
        path = f"saved-searches/{int(saved_search_id)}"
        return self._call("PATCH", path, auth="required", json=changes)

    def delete_saved_search(self, saved_search_id: int) -> None:
        """Delete the viewer's own saved search (a stranger's: PermissionDenied)."""
        self._call("DELETE", f"saved-searches/{int(saved_search_id)}", auth="required")


def _credential_timeout() -> float:
    """Calls that hash a password (Argon2, slow on purpose) wait this long."""
    return settings.EXPERIENCE_API_CREDENTIAL_READ_TIMEOUT


def _photo_parts(photos) -> list[tuple[str, tuple]]:
    """Uploaded files as ``requests`` multipart parts named ``photos``."""
    parts = []
    for photo in photos:
        if hasattr(photo, "seek"):
            photo.seek(0)
        content_type = getattr(photo, "content_type", None) or "application/octet-stream"
        parts.append(("photos", (photo.name, photo.read(), content_type)))
    return parts
