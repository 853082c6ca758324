"""The one client of the search engine (Elasticsearch 8 API).

Queries go to the alias ``SEARCH_LISTINGS_ALIAS`` (``mpcommon.search_index``'s by
default) so a re-index can swap the concrete index underneath. Every call has a timeout;
any failure (engine down, slow, index missing) becomes :class:`SearchUnavailable`,
which the API answers with 503 ``search_unavailable`` while the rest of the site keeps
working.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import quote

import elasticsearch
from django.conf import settings
from elasticsearch import Elasticsearch
from elasticsearch.serializer import OrjsonSerializer

from mpcommon.request_id import outgoing_headers

logger = logging.getLogger(__name__)


class SearchUnavailable(Exception):
    """The search engine could not answer (down, timed out, or index missing)."""

    def __init__(self, detail: str = "Search is temporarily unavailable, try again shortly."):
        self.detail = detail
        super().__init__(detail)


_client: Elasticsearch | None = None
_client_lock = threading.Lock()


def get_client() -> Elasticsearch:
    """The process-wide client (pooled connections), created on first use."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = Elasticsearch(
                    settings.ELASTICSEARCH_URL,
                    request_timeout=settings.SEARCH_TIMEOUT,
                    # One quick retry on a dropped connection; never on a timeout (it would
                    # double the worst-case latency of a search page).
                    max_retries=1,
                    retry_on_timeout=False,
                    connections_per_node=settings.MODELS_API_POOL_SIZE,
                    # orjson reads a results page (20 documents, highlights, facets)
                    # several times faster than the standard library's json.
                    serializer=OrjsonSerializer(),
                )
    return _client


def reset_client() -> None:
    global _client
    _client = None


# What ``Elasticsearch.search`` sends, plus the request ID (outgoing_headers).
_SEARCH_HEADERS = {"accept": "application/json", "content-type": "application/json"}


def search_listings(body: dict) -> dict:
    """Run one search request against the listings alias and return the raw response."""
    alias = settings.SEARCH_LISTINGS_ALIAS
    try:
        # The request of ``client.search(index=alias, body=body)``, made directly: the
        # request ID header would otherwise need ``client.options(headers=...)``, which
        # builds a new client (and its OpenTelemetry wrapper, reading the environment)
        # on every call: 14% of the service's CPU on an uncached search.
        response = get_client().perform_request(
            "POST",
            f"/{quote(alias, safe='')}/_search",
            headers={**_SEARCH_HEADERS, **outgoing_headers()},
            body=body,
            endpoint_id="search",
            path_parts={"index": alias},
        )
    except elasticsearch.NotFoundError as exc:
        logger.error("search index missing", extra={"index": alias})
        raise SearchUnavailable("Search is not ready yet, try again shortly.") from exc
    except elasticsearch.ApiError as exc:
        logger.error(
            "search engine rejected a query",
            extra={"status": exc.meta.status, "error": str(exc)[:500]},
        )
        raise SearchUnavailable() from exc
    except elasticsearch.TransportError as exc:
        logger.warning("search engine unreachable", extra={"error": type(exc).__name__})
        raise SearchUnavailable() from exc
    return response.body if hasattr(response, "body") else dict(response)


def check_health(timeout: float = 1.0) -> str:
    """Return a short status line; raise SearchUnavailable if the engine cannot serve."""
    alias = settings.SEARCH_LISTINGS_ALIAS
    try:
        client = get_client().options(request_timeout=timeout, max_retries=0)
        exists = client.indices.exists_alias(name=alias)
    except (elasticsearch.ApiError, elasticsearch.TransportError) as exc:
        raise SearchUnavailable(type(exc).__name__) from exc
    if not exists:
        raise SearchUnavailable(f"alias {alias!r} missing")
    return f"alias {alias!r} present"
