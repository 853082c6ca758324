"""Client of the models-api internal API (the only owner of listings and view counts).

One pooled ``requests`` session per client, connect/read timeouts on every call,
retries with backoff for idempotent calls only (GET, PUT, and the view fold, which is
idempotent thanks to its ``batch_id``), errors mapped to typed exceptions.
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


class ModelsApiError(Exception):
    """models-api answered with an error that retrying will not fix (4xx)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"models-api answered {status}: {body[:300]}")
        self.status = status


class ModelsApiUnavailable(Exception):
    """models-api could not be reached or answered 5xx (transient)."""


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
            # POST /listings/views is safe to repeat only because of its batch_id; the
            # callers pass one, so it is listed here on purpose.
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

    def _request(self, method: str, path: str, **kwargs) -> dict:
        url = self.base_url + path
        try:
            response = self.session.request(
                method, url, timeout=self.timeout, headers=outgoing_headers(), **kwargs
            )
        except requests.RequestException as exc:
            raise ModelsApiUnavailable(f"{method} {path}: {exc}") from exc
        if response.status_code >= 500:
            raise ModelsApiUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ModelsApiError(response.status_code, response.text)
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


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, ModelsApiUnavailable)
