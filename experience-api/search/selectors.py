"""Search: one engine query per results page (documents carry what a card shows)."""

from django.conf import settings

from clients import search as search_client
from search.queries import SearchParams, build_search_body, search_response


def search_listings(params: SearchParams) -> dict:
    """Run the search described by ``params``; raises ``SearchUnavailable``."""
    raw = search_client.search_listings(build_search_body(params))
    return search_response(params, raw, max_page=settings.SEARCH_MAX_PAGE)
