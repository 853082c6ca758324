"""The one client of models-api (docs/internal-contracts.md, "models-api internal API").

- Pooled connections (one ``requests.Session`` per retry policy, shared by threads).
- Every call has a connect and a read timeout.
- Retries with exponential backoff only where repeating a request is harmless: GET,
  PUT, DELETE and the read-only ``POST /authenticators/resolve`` and
  ``POST /password-resets/check`` (and ``revoke``, which is idempotent by contract).
  Other POSTs and every PATCH are sent exactly once: a timeout there may mean the write
  happened.
- Photo uploads (multipart, docs/selling-and-buying.md) are never retried and wait
  ``MODELS_API_UPLOAD_READ_TIMEOUT`` for models-api to decode and re-encode them.
- Calls that hash a password (sign-up, log-in, password change and reset) wait
  ``MODELS_API_CREDENTIAL_READ_TIMEOUT``: Argon2 is slow on purpose, and a change that
  models-api completes after we gave up would tell the user it failed when it did not.
- Every call carries ``X-Service-Token`` and the request ID.
- Failures become typed exceptions (mapped to HTTP in ``config/errors.py``).
- :func:`run_concurrently` runs the independent calls of one page in parallel.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mpcommon.request_id import outgoing_headers

logger = logging.getLogger(__name__)

# Methods whose repetition cannot duplicate a write.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRIED_STATUSES = (502, 503, 504)


class ModelsApiError(Exception):
    """A call to models-api did not succeed."""

    default_detail = "models-api call failed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        fields: dict | None = None,
        status: int | None = None,
    ):
        self.detail = detail or self.default_detail
        self.code = code
        self.fields = fields or {}
        self.status = status
        super().__init__(self.detail)


class ModelsApiUnavailable(ModelsApiError):
    """models-api could not be reached, timed out, failed (5xx) or answered nonsense."""

    default_detail = "The listings service is unavailable, try again shortly."


class NotFound(ModelsApiError):
    default_detail = "Not found."


class ValidationFailed(ModelsApiError):
    """models-api rejected the input; ``fields`` maps each field to its messages."""

    default_detail = "Invalid input."


class NotAuthenticated(ModelsApiError):
    """Bad credentials or an unknown/expired authenticator (``code`` says which)."""

    default_detail = "Authentication required."


class PermissionDenied(ModelsApiError):
    default_detail = "You do not have permission to do that."


class Conflict(ModelsApiError):
    """The change conflicts with the listing's or order's state (``code`` says which:
    ``listing_reserved``, ``listing_not_active``, ``order_state``)."""

    default_detail = "That is not possible in the current state."


def _retry_policy(total: int, backoff: float, methods: frozenset[str]) -> Retry:
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff,
        status_forcelist=RETRIED_STATUSES,
        allowed_methods=methods,
        # Give the caller the last response instead of an exception; we map it ourselves.
        raise_on_status=False,
        # A Retry-After of minutes would turn a bounded call into a hang.
        respect_retry_after_header=False,
    )


def _session(retry: Retry, pool_size: int) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class ModelsApiClient:
    """Typed access to models-api; one instance per process is shared by all threads."""

    def __init__(
        self,
        *,
        base_url: str,
        service_token: str,
        connect_timeout: float,
        read_timeout: float,
        retries: int,
        backoff: float,
        pool_size: int,
        upload_read_timeout: float = 60.0,
        credential_read_timeout: float = 10.0,
    ):
        self.base_url = base_url.rstrip("/") + "/api/v1"
        self.root_url = base_url.rstrip("/")
        self.service_token = service_token
        self.timeout = (connect_timeout, read_timeout)
        # models-api decodes and re-encodes every uploaded photo before it answers (up to
        # 8 of 40 MP each): seconds, not the milliseconds of every other call.
        self.upload_timeout = (connect_timeout, upload_read_timeout)
        # Argon2 (one or two hashes per call) on a busy machine: seconds, not milliseconds.
        self.credential_timeout = (connect_timeout, credential_read_timeout)
        self._retrying = _session(
            _retry_policy(retries, backoff, IDEMPOTENT_METHODS | {"POST"}), pool_size
        )
        # total=0: a failed non-idempotent call is reported, never silently repeated.
        self._once = _session(_retry_policy(0, 0, IDEMPOTENT_METHODS), pool_size)

    # --- transport ------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        data: list[tuple[str, str]] | None = None,
        files: list[tuple[str, tuple[str, Any, str]]] | None = None,
        authenticator: str | None = None,
        retry_safe: bool | None = None,
        auth_errors: bool = False,
        timeout: tuple[float, float] | None = None,
        with_status: bool = False,
    ) -> Any:
        """Send one call and return its decoded JSON body (None for 204).

        ``with_status``: return ``(body, status)`` instead, for calls whose success
        status means something (201 created vs 200 the existing one).

        ``data`` and ``files`` send a multipart/form-data body instead of ``json``.
        ``retry_safe`` overrides the method-based retry choice (for read-only POSTs).
        ``auth_errors`` says a 401 is about the user (credentials or authenticator);
        otherwise a 401 can only mean our service token is wrong, which is our outage.
        """
        response = self._send(
            method,
            path,
            params=params,
            json=json,
            data=data,
            files=files,
            authenticator=authenticator,
            retry_safe=retry_safe,
            timeout=timeout,
        )
        body = self._decode(method, path, response, auth_errors=auth_errors)
        return (body, response.status_code) if with_status else body

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        data: list[tuple[str, str]] | None = None,
        files: list[tuple[str, tuple[str, Any, str]]] | None = None,
        authenticator: str | None = None,
        retry_safe: bool | None = None,
        timeout: tuple[float, float] | None = None,
        accept: str = "application/json",
    ) -> requests.Response:
        """Send one call and return the response, whatever its status."""
        if retry_safe is None:
            retry_safe = method in IDEMPOTENT_METHODS
        session = self._retrying if retry_safe else self._once
        headers = {"X-Service-Token": self.service_token, "Accept": accept}
        headers.update(outgoing_headers())
        if authenticator:
            headers["X-Authenticator"] = authenticator
        url = self.base_url + path
        started = time.perf_counter()
        try:
            return session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                files=files,
                headers=headers,
                timeout=timeout or self.timeout,
            )
        except requests.RequestException as exc:
            logger.warning(
                "models-api call failed",
                extra={
                    "method": method,
                    "path": path,
                    "error": type(exc).__name__,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            raise ModelsApiUnavailable() from exc

    def _decode(
        self, method: str, path: str, response: requests.Response, *, auth_errors: bool
    ) -> Any:
        status = response.status_code
        if status == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if 200 <= status < 300:
            if body is None:
                logger.error(
                    "models-api sent a non-JSON success",
                    extra={"method": method, "path": path, "status": status},
                )
                raise ModelsApiUnavailable(status=status)
            return body
        body = body if isinstance(body, dict) else {}
        code = body.get("error")
        detail = body.get("detail")
        if status == 400:
            raise ValidationFailed(
                detail, code=code, fields=body.get("fields") or {}, status=status
            )
        if status == 404:
            raise NotFound(detail, code=code, status=status)
        if status == 401 and auth_errors:
            raise NotAuthenticated(detail, code=code, status=status)
        if status == 403:
            raise PermissionDenied(detail, code=code, status=status)
        if status == 409:
            raise Conflict(detail, code=code, status=status)
        if status == 413:
            raise ValidationFailed(detail or "Payload too large.", code=code, status=status)
        logger.error(
            "models-api call rejected" if status < 500 else "models-api call failed",
            extra={"method": method, "path": path, "status": status, "error_code": code},
        )
        raise ModelsApiUnavailable(status=status)

    # --- users and authenticators ---------------------------------------------------
    def create_user(
        self, *, username: str, email: str, password: str, display_name: str | None = None
    ) -> dict:
        body = {"username": username, "email": email, "password": password}
        if display_name:
            body["display_name"] = display_name
        return self._request("POST", "/users", json=body, timeout=self.credential_timeout)

    def get_user(self, user_id: int) -> dict:
        return self._request("GET", f"/users/{int(user_id)}")

    def create_authenticator(self, *, username: str, password: str) -> dict:
        return self._request(
            "POST",
            "/authenticators",
            json={"username": username, "password": password},
            auth_errors=True,
            timeout=self.credential_timeout,
        )

    def resolve_authenticator(self, token: str) -> dict:
        return self._request(
            "POST",
            "/authenticators/resolve",
            json={"token": token},
            retry_safe=True,
            auth_errors=True,
        )

    def revoke_authenticator(self, token: str) -> None:
        # Idempotent by contract (204 also when already gone), so safe to retry.
        self._request("POST", "/authenticators/revoke", json={"token": token}, retry_safe=True)

    # --- catalogue ------------------------------------------------------------------
    def list_categories(self) -> list[dict]:
        return self._request("GET", "/categories")["results"]

    def list_listings(self, **params: Any) -> dict:
        clean = {key: value for key, value in params.items() if value not in (None, "")}
        if isinstance(clean.get("ids"), list | tuple):
            clean["ids"] = ",".join(str(int(i)) for i in clean["ids"])
        return self._request("GET", "/listings", params=clean)

    def get_listing(self, listing_id: int) -> dict:
        return self._request("GET", f"/listings/{int(listing_id)}")

    def create_listing(self, *, authenticator: str, data: dict, photos: Sequence = ()) -> dict:
        """Create a listing; with ``photos`` (uploaded files) in the same multipart call,
        so the listing and its photos are stored together or not at all."""
        return self._request(
            "POST",
            "/listings",
            authenticator=authenticator,
            auth_errors=True,
            **self._body(data, photos),
        )

    def get_recommendations(self, listing_id: int) -> list[int]:
        body = self._request("GET", f"/listings/{int(listing_id)}/recommendations")
        return [int(i) for i in body.get("recommended", [])]

    # ---- orders and threads (issue 12)
    # docs/selling-and-buying.md, "models-api internal API additions". Every call acts
    # for a user (X-Authenticator, so a 401 is about that user). Creating POSTs (order,
    # message, action) go once: a timeout may mean the write happened; the order's
    # "one open order per buyer and listing" and the message's client_token make the
    # user's own retry harmless. Marking a thread read is idempotent, so it is retried.
    def _as_user(self, method: str, path: str, authenticator: str, **kwargs: Any) -> Any:
        return self._request(method, path, authenticator=authenticator, auth_errors=True, **kwargs)

    def create_order(
        self, *, authenticator: str, listing_id: int, message: str | None = None
    ) -> tuple[dict, bool]:
        """``(order, created)``: created is False when models-api answered 200 with the
        buyer's existing open order for that listing."""
        body: dict[str, Any] = {"listing": int(listing_id)}
        if message:
            body["message"] = message
        order, status = self._as_user("POST", "/orders", authenticator, json=body, with_status=True)
        return order, status == 201

    def list_orders(
        self,
        *,
        authenticator: str,
        role: str | None,
        page: int,
        page_size: int,
        status: str | None = None,
    ) -> dict:
        params: dict[str, Any] = {"page": page, "page_size": page_size}
        if role:
            params["role"] = role
        if status:
            params["status"] = status
        return self._as_user("GET", "/orders", authenticator, params=params)

    def get_order(self, *, authenticator: str, order_id: int) -> dict:
        return self._as_user("GET", f"/orders/{int(order_id)}", authenticator)

    def act_on_order(self, *, authenticator: str, order_id: int, action: str) -> dict:
        return self._as_user(
            "POST", f"/orders/{int(order_id)}/actions", authenticator, json={"action": action}
        )

    def send_listing_message(
        self, *, authenticator: str, listing_id: int, body: str, client_token: str | None
    ) -> tuple[dict, bool]:
        """``({"thread", "message"}, created)``; created is False on a repeated token."""
        payload = {"body": body, **({"client_token": client_token} if client_token else {})}
        answer, status = self._as_user(
            "POST",
            f"/listings/{int(listing_id)}/messages",
            authenticator,
            json=payload,
            with_status=True,
        )
        return answer, status == 201

    def list_threads(self, *, authenticator: str, page: int, page_size: int) -> dict:
        return self._as_user(
            "GET", "/threads", authenticator, params={"page": page, "page_size": page_size}
        )

    def get_thread(self, *, authenticator: str, thread_id: int, page: int) -> dict:
        return self._as_user(
            "GET", f"/threads/{int(thread_id)}", authenticator, params={"page": page}
        )

    def send_thread_message(
        self, *, authenticator: str, thread_id: int, body: str, client_token: str | None
    ) -> tuple[dict, bool]:
        """``(message, created)``; created is False on a repeated token."""
        payload = {"body": body, **({"client_token": client_token} if client_token else {})}
        message, status = self._as_user(
            "POST",
            f"/threads/{int(thread_id)}/messages",
            authenticator,
            json=payload,
            with_status=True,
        )
        return message, status == 201

    def mark_thread_read(self, *, authenticator: str, thread_id: int) -> None:
        self._as_user("POST", f"/threads/{int(thread_id)}/read", authenticator, retry_safe=True)

    def unread_message_count(self, *, authenticator: str) -> int:
        return int(self._as_user("GET", "/threads/unread", authenticator)["unread"])

    # ---- listings management (issue 12)
    # The seller's writes; a PATCH goes once (not idempotent by method), DELETE may be
    # retried (a second DELETE of a deleted listing is a 404 we map to "gone").
    def update_listing(
        self, *, authenticator: str, listing_id: int, changes: dict, photos: Sequence = ()
    ) -> dict:
        """PATCH fields, ``status`` and ``photo_order``; ``photos`` are new files appended
        after the kept ones (multipart, ``photo_order`` then a repeated field)."""
        return self._request(
            "PATCH",
            f"/listings/{int(listing_id)}",
            authenticator=authenticator,
            auth_errors=True,
            **self._body(changes, photos),
        )

    def delete_listing(self, *, authenticator: str, listing_id: int) -> None:
        self._request(
            "DELETE", f"/listings/{int(listing_id)}", authenticator=authenticator, auth_errors=True
        )

    # ---- photos (issue 12)
    # Uploads go once, whatever the method (a POST is never retried; the PATCH is not
    # idempotent either): the files may have been stored before a timeout. A photo's
    # DELETE is retried like any DELETE; a repeat that finds it gone answers 404.
    def add_listing_photos(self, *, authenticator: str, listing_id: int, photos: Sequence) -> dict:
        """Append ``photos`` (uploaded files) to a listing; returns the listing (201)."""
        return self._request(
            "POST",
            f"/listings/{int(listing_id)}/photos",
            authenticator=authenticator,
            auth_errors=True,
            **self._body({}, photos),
        )

    def delete_listing_photo(self, *, authenticator: str, listing_id: int, photo_id: int) -> dict:
        """Remove one photo of a listing (404 if it is not that listing's); returns the listing."""
        return self._request(
            "DELETE",
            f"/listings/{int(listing_id)}/photos/{int(photo_id)}",
            authenticator=authenticator,
            auth_errors=True,
        )

    def get_media(self, key: str) -> tuple[bytes, str]:
        """The bytes and content type of a stored object (a photo or a thumbnail).

        ``key`` must already match ``photo_rules.MEDIA_KEY_RE`` (it becomes part of the
        path). Raises NotFound for an unknown key.
        """
        path = f"/media/{key}"
        response = self._send("GET", path, accept="*/*")
        if response.status_code != 200:
            self._decode("GET", path, response, auth_errors=False)  # raises the typed error
            logger.error(
                "models-api media answered an unexpected status",
                extra={"path": path, "status": response.status_code},
            )
            raise ModelsApiUnavailable(status=response.status_code)
        content_type = response.headers.get("Content-Type", "")
        return response.content, content_type

    def _body(self, fields: dict, photos: Sequence) -> dict[str, Any]:
        """The request body keywords of a write: JSON without files, else multipart
        with the same field names (a list becomes a repeated field) and one ``photos``
        part per file, in order, with the longer upload timeout."""
        if not photos:
            return {"json": fields}
        data: list[tuple[str, str]] = []
        for name, value in fields.items():
            values = value if isinstance(value, list | tuple) else [value]
            data.extend((name, str(item)) for item in values)
        return {"data": data, "files": photo_parts(photos), "timeout": self.upload_timeout}

    # ---- passwords and profile (issue 13)
    # docs/accounts-and-notifications.md, "models-api internal API additions". The
    # password change, the reset request and the reset confirmation are writes sent
    # once (a repeated reset request could send a second email, a repeated change would
    # meet a changed password). Checking a reset token reads only, so it is retried like
    # the resolve. The profile PATCH goes once like every PATCH.
    def change_password(self, *, authenticator: str, old_password: str, new_password: str) -> dict:
        """``{"revoked": n}``: the user's other authenticators were revoked."""
        return self._as_user(
            "POST",
            "/password",
            authenticator,
            json={"old_password": old_password, "new_password": new_password},
            timeout=self.credential_timeout,
        )

    def request_password_reset(self, *, email: str) -> None:
        """Ask for a reset link to ``email`` (202 whatever the address; nothing to return)."""
        self._request("POST", "/password-resets", json={"email": email})

    def check_password_reset(self, *, token: str) -> dict:
        """``{"username"}`` for a usable token; ValidationFailed on ``token`` otherwise."""
        return self._request(
            "POST", "/password-resets/check", json={"token": token}, retry_safe=True
        )

    def confirm_password_reset(self, *, token: str, new_password: str) -> dict:
        """``{"user_id", "revoked": n}``: the password is set, every authenticator revoked."""
        return self._request(
            "POST",
            "/password-resets/confirm",
            json={"token": token, "new_password": new_password},
            timeout=self.credential_timeout,
        )

    def update_user(self, *, authenticator: str, user_id: int, changes: dict) -> dict:
        """PATCH ``display_name`` and/or ``bio`` of the authenticator's own user."""
        return self._as_user("PATCH", f"/users/{int(user_id)}", authenticator, json=changes)

    # ---- favourites (issue 13): PUT and DELETE are idempotent by contract, so retried.
    def list_favourites(self, *, authenticator: str, page: int, page_size: int) -> dict:
        """A listing page of the user's favourites, newest favourite first."""
        return self._as_user(
            "GET", "/favourites", authenticator, params={"page": page, "page_size": page_size}
        )

    def favourited_ids(self, *, authenticator: str, listing_ids: Sequence[int]) -> list[int]:
        """The subset of ``listing_ids`` (at most 100) the user favourited."""
        body = self._as_user(
            "GET",
            "/favourites/ids",
            authenticator,
            params={"listings": ",".join(str(int(i)) for i in listing_ids)},
        )
        return [int(i) for i in body.get("favourited", [])]

    def add_favourite(self, *, authenticator: str, listing_id: int) -> dict:
        """``{"listing", "favourited": true, "count"}``; NotFound for an unknown listing."""
        return self._as_user("PUT", f"/favourites/{int(listing_id)}", authenticator)

    def remove_favourite(self, *, authenticator: str, listing_id: int) -> dict:
        """``{"listing", "favourited": false, "count"}`` (also when it was not one)."""
        return self._as_user("DELETE", f"/favourites/{int(listing_id)}", authenticator)

    # ---- saved searches (issue 13)
    # Creating is a POST sent once (models-api answers 200 with the existing search when
    # the same one is saved again, so the user's own retry is harmless); PATCH once;
    # DELETE retried (a repeat that finds it gone answers 404).
    def list_saved_searches(self, *, authenticator: str) -> list[dict]:
        return self._as_user("GET", "/saved-searches", authenticator)["results"]

    def create_saved_search(self, *, authenticator: str, data: dict) -> tuple[dict, bool]:
        """``(saved_search, created)``: created is False when models-api answered 200
        with the user's existing identical search."""
        saved, status = self._as_user(
            "POST", "/saved-searches", authenticator, json=data, with_status=True
        )
        return saved, status == 201

    def update_saved_search(
        self, *, authenticator: str, saved_search_id: int, changes: dict
    ) -> dict:
        return self._as_user(
            "PATCH", f"/saved-searches/{int(saved_search_id)}", authenticator, json=changes
        )

    def delete_saved_search(self, *, authenticator: str, saved_search_id: int) -> None:
        self._as_user("DELETE", f"/saved-searches/{int(saved_search_id)}", authenticator)

    # --- health ---------------------------------------------------------------------
    def check_health(self, timeout: float = 1.0) -> None:
        """Raise ModelsApiUnavailable unless ``/healthz`` answers 200 within ``timeout``."""
        try:
            response = self._once.get(self.root_url + "/healthz", timeout=(timeout, timeout))
        except requests.RequestException as exc:
            raise ModelsApiUnavailable(f"{type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ModelsApiUnavailable(f"healthz answered {response.status_code}")


def photo_parts(photos: Sequence) -> list[tuple[str, tuple[str, Any, str]]]:
    """Uploaded files (anything with ``name``, ``read`` and ``content_type``, such as
    Django's ``UploadedFile``) as ``requests`` multipart parts named ``photos``.

    The declared name and type are passed on as they came: models-api sniffs the format
    from the bytes and ignores both.
    """
    parts = []
    for photo in photos:
        if hasattr(photo, "seek"):
            photo.seek(0)
        content_type = getattr(photo, "content_type", None) or "application/octet-stream"
        parts.append(("photos", (photo.name or "photo", photo, content_type)))
    return parts


_client: ModelsApiClient | None = None
_client_lock = threading.Lock()


def get_client() -> ModelsApiClient:
    """The process-wide client built from settings (created on first use)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = ModelsApiClient(
                    base_url=settings.MODELS_API_URL,
                    service_token=settings.SERVICE_TOKEN,
                    connect_timeout=settings.MODELS_API_CONNECT_TIMEOUT,
                    read_timeout=settings.MODELS_API_READ_TIMEOUT,
                    retries=settings.MODELS_API_RETRIES,
                    backoff=settings.MODELS_API_BACKOFF,
                    pool_size=settings.MODELS_API_POOL_SIZE,
                    upload_read_timeout=settings.MODELS_API_UPLOAD_READ_TIMEOUT,
                    credential_read_timeout=settings.MODELS_API_CREDENTIAL_READ_TIMEOUT,
                )
    return _client


def reset_client() -> None:
    """Forget the process-wide client (tests that change settings call this)."""
    global _client
    _client = None


# --- concurrency --------------------------------------------------------------------
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_executor() -> ThreadPoolExecutor:
    # Created lazily so that each gunicorn worker (forked) owns its own threads.
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(
                    max_workers=settings.CONCURRENT_CALLS_WORKERS,
                    thread_name_prefix="models-api",
                )
    return _executor


def submit(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """Run ``fn`` on the shared pool, inside a copy of the caller's context.

    Copying the context keeps the request ID (a context variable) on the calls made
    from the pool thread, so they carry the same ``X-Request-ID`` and log lines.
    """
    context = contextvars.copy_context()
    return _get_executor().submit(context.run, fn, *args, **kwargs)


def run_concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent zero-argument calls in parallel; return their results in order.

    The first failure is raised after all calls finished (each call has its own
    timeout, so this is bounded).
    """
    futures = [submit(call) for call in calls]
    results, first_error = [], None
    for future in futures:
        try:
            results.append(future.result())
        except Exception as exc:  # noqa: BLE001 - re-raised below, after every call ended
            results.append(None)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return results
