"""Client of the models-api internal API (the only owner of listings and view counts).

One pooled ``requests`` session per client, connect/read timeouts on every call,
retries with backoff for idempotent calls only (GET, PUT, the view fold, which is
idempotent thanks to its ``batch_id``, and saved-search matches, idempotent per (saved
search, listing)), errors mapped to typed exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from mpcommon.request_id import outgoing_headers

from .settings import ImproperlyConfigured, Settings

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
MATCHES_PER_REQUEST = 1000  # saved search ids per POST /saved-searches/matches

# 4xx answers that say the request itself is refused (a malformed body, one too large):
# sending it again unchanged cannot succeed. Every other error answer is transient
# (``is_transient``): 401/403 mean our service token is wrong or being rotated, 404/405/
# 415 a models-api older than us mid-deploy, 408/429 a busy server. Those are fixed by
# time or by an operator, so workers retry with backoff and hold their Kafka offsets
# instead of dropping the batch.
PERMANENT_STATUSES = frozenset({400, 413, 422})


class ModelsApiError(Exception):
    """models-api answered 4xx; permanent only for PERMANENT_STATUSES (``is_transient``)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"models-api answered {status}: {body[:300]}")
        self.status = status

    @property
    def permanent(self) -> bool:
        return self.status in PERMANENT_STATUSES


class ModelsApiUnavailable(Exception):
    """models-api could not be reached, or answered 5xx or non-JSON (transient)."""


class ModelsApiClient:
    def __init__(
        self,
        base_url: str,
        service_token: str,
        *,
        timeout: float = 5.0,
        retries: int = 3,
        backoff_factor: float = 0.3,
    ):
        if not service_token:
            raise ImproperlyConfigured("SERVICE_TOKEN is required to call models-api")
        self.base_url = base_url.rstrip("/") + "/api/v1"
        # (connect, read): a dead host fails fast, a slow bulk write gets more time.
        self.timeout = (min(2.0, timeout), timeout)
        self.session = requests.Session()
        self.session.headers.update(
            {"X-Service-Token": service_token, "Accept": "application/json"}
        )
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_factor,
            status_forcelist=(502, 503, 504),
            # POST /listings/views is safe to repeat only because of its batch_id (the
            # callers pass one) and POST /saved-searches/matches because models-api
            # writes one email per (saved search, listing): listed here on purpose.
            allowed_methods=frozenset({"GET", "PUT", "POST"}),
            raise_on_status=False,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelsApiClient:
        return cls(
            settings.models_api_url,
            settings.service_token,
            timeout=settings.http_timeout_seconds,
        )

    def close(self) -> None:
        self.session.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        expected: frozenset[int] = frozenset(),
        headers: dict | None = None,
        **kwargs,
    ) -> requests.Response:
        """The response of a successful call; errors raised as typed exceptions (the
        ``expected`` 4xx statuses are raised but not logged: the caller handles them)."""
        url = self.base_url + path
        try:
            response = self.session.request(
                method,
                url,
                timeout=self.timeout,
                headers={**outgoing_headers(), **(headers or {})},
                **kwargs,
            )
        except requests.RequestException as exc:
            raise ModelsApiUnavailable(f"{method} {path}: {exc}") from exc
        if response.status_code >= 500:
            raise ModelsApiUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            error = ModelsApiError(response.status_code, response.text)
            if not error.permanent and error.status not in expected:
                # Callers retry it, but a person (or time) has to fix it: an error, each time.
                hint = "check SERVICE_TOKEN" if response.status_code in (401, 403) else ""
                logger.error(
                    "models-api refused the call (transient: retried by the caller)",
                    extra={"method": method, "path": path, "status": error.status, "hint": hint},
                )
            raise error
        return response

    def _request(self, method: str, path: str, **kwargs) -> dict:
        response = self._send(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError as exc:
            raise ModelsApiUnavailable(f"{method} {path}: invalid JSON body") from exc

    # ------------------------------------------------------------------ listings
    def listings_page(self, *, page: int, ordering: str = "oldest") -> dict:
        """One page (100) of listings of every status (no ``status`` filter = all)."""
        return self._request(
            "GET",
            "/listings",
            params={"ordering": ordering, "page": page, "page_size": MAX_PAGE_SIZE},
        )

    def view_counts(self, listing_ids: Iterable[int]) -> dict[int, int]:
        """Current ``view_count`` of the given listings (any status; unknown ids absent)."""
        ids = sorted(set(listing_ids))
        counts: dict[int, int] = {}
        for start in range(0, len(ids), MAX_PAGE_SIZE):
            chunk = ids[start : start + MAX_PAGE_SIZE]
            body = self._request(
                "GET",
                "/listings",
                params={"ids": ",".join(map(str, chunk)), "page_size": MAX_PAGE_SIZE},
            )
            for listing in body.get("results", []):
                counts[int(listing["id"])] = int(listing["view_count"])
        return counts

    # ------------------------------------------------------------------ views
    def add_views(self, increments: dict[int, int], *, batch_id: str) -> dict:
        """Fold view increments; models-api skips a ``batch_id`` it already applied."""
        payload = {
            "increments": {str(listing_id): n for listing_id, n in increments.items()},
            "batch_id": batch_id,
        }
        return self._request("POST", "/listings/views", json=payload)

    # ------------------------------------------------------------------ recommendations
    def replace_recommendations(self, recommendations: dict[int, list[int]]) -> dict:
        """Replace the whole co-view recommendation set atomically."""
        payload = {
            "recommendations": {
                str(listing_id): list(ids) for listing_id, ids in recommendations.items()
            }
        }
        return self._request("PUT", "/recommendations", json=payload)

    # ------------------------------------------------------------------ photos
    def media(self, key: str) -> bytes:
        """The stored object ``key`` (an original photo); ModelsApiError 404 when gone."""
        response = self._send(
            "GET", f"/media/{key}", expected=frozenset({404}), headers={"Accept": "*/*"}
        )
        return response.content

    def put_thumbnails(self, photo_id: int, thumbnails: dict[str, bytes]) -> dict:
        """Store a photo's thumbnails (name -> WebP bytes, sent as ``<name>.webp``); the
        photo as models-api has it then. Idempotent; ModelsApiError 404 when gone."""
        files = {name: (f"{name}.webp", data, "image/webp") for name, data in thumbnails.items()}
        return self._request(
            "PUT", f"/photos/{photo_id}/thumbnails", files=files, expected=frozenset({404})
        )

    # ------------------------------------------------------------------ saved searches
    def saved_search_matches(self, listing_id: int, saved_search_ids: Iterable[int]) -> dict:
        """Report the saved searches a new listing matches; models-api emails (instant) or
        queues for the digest (daily) each match once, skipping paused, deleted, own
        and throttled ones: ``{"emailed": n, "queued_for_digest": n}``. Idempotent."""
        ids = sorted(set(saved_search_ids))
        totals = {"emailed": 0, "queued_for_digest": 0}
        # models-api takes up to 10,000 ids per call; a popular listing is sent in parts
        # (each part idempotent on its own, so a retry of any part is harmless).
        for start in range(0, max(len(ids), 1), MATCHES_PER_REQUEST):
            payload = {
                "listing": listing_id,
                "saved_searches": ids[start : start + MATCHES_PER_REQUEST],
            }
            answer = self._request("POST", "/saved-searches/matches", json=payload)
            for key in totals:
                totals[key] += int(answer.get(key, 0) or 0)
        return totals


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the call later can succeed: unreachable, 5xx, and every 4xx but
    PERMANENT_STATUSES."""
    if isinstance(exc, ModelsApiError):
        return not exc.permanent
    return isinstance(exc, ModelsApiUnavailable)
