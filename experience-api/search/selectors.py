"""Search: one engine query per results page (documents carry what a card shows).

Results pages are cached in Redis (``caching.cache``, namespace ``search``, one
variant per normalised query) for ``SEARCH_CACHE_SECONDS``:

- identical concurrent searches collapse to one engine query (the cache lock; even a
  page that is not stored is handed to the requests that waited for it);
- a page past its fresh time is served stale while the refresh pool recomputes it, so
  popular searches never wait for the engine;
- a page with no results is never stored, so a listing searched by a word only it
  has shows up as soon as the engine has indexed it;
- an engine failure is never stored (``SearchUnavailable`` propagates: 503), though a
  stale copy of the page is served instead while there is one;
- every listing event bumps the ``search`` generation (the cache invalidator) after
  each of ``SEARCH_CACHE_INVALIDATION_DELAYS`` (1.5 s, 5 s), when the indexer has
  indexed it. View counts (the ``hot`` order, the cards' ``view_count``)
  change without listing events: they are at most ``SEARCH_CACHE_SECONDS`` old.
"""

from django.conf import settings

from caching import cache as page_cache
from clients import search as search_client
from search.queries import (
    SearchParams,
    build_search_body,
    cache_variant,
    normalised,
    search_response,
)


def _search(params: SearchParams) -> tuple[dict, bool]:
    raw = search_client.search_listings(build_search_body(params))
    page = search_response(params, raw, max_page=settings.SEARCH_MAX_PAGE)
    # Empty pages stay uncached: "no results" must not hide a listing indexed a moment
    # later (a page past the last one is empty too, and just as cheap to recompute).
    return page, bool(page["results"])


def search_listings(params: SearchParams) -> dict:
    """Run (or reuse) the search described by ``params``; raises ``SearchUnavailable``."""
    canonical = normalised(params)
    page = page_cache.get_or_compute(
        page_cache.SEARCH,
        lambda: _search(canonical),
        fresh_seconds=settings.SEARCH_CACHE_SECONDS,
        variant=cache_variant(canonical),
        stale_seconds=settings.SEARCH_CACHE_STALE_SECONDS,
        # Waiting for an identical search in flight beats sending the engine a copy of
        # it; it cannot take longer than the engine's timeout.
        lock_wait_seconds=settings.SEARCH_TIMEOUT,
        # A stale page is served at once, even to the request that triggers its refresh.
        refresh_in_background=True,
    )
    # The page may have been computed for another spelling of the same query: echo
    # this request's own words.
    return {**page, "query": params.echo()}
