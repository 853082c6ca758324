"""Reads of a user's orders and threads from models-api (never cached: they are
private and change with every action), and the user's unread count (cached briefly)."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.core.cache import cache

from accounts.users import ApiUser
from clients import models_api

logger = logging.getLogger(__name__)

ORDERS_PAGE_SIZE = 20
THREADS_PAGE_SIZE = 20


def unread_cache_key(user_id: int) -> str:
    return f"unread:{int(user_id)}"


def _page(answer: dict, *, page: int, page_size: int) -> dict:
    """models-api's page as ``{"results", "total", "page", "pages"}``."""
    total = answer["count"]
    return {
        "results": answer["results"],
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / page_size)),
    }


def orders_page(*, user: ApiUser, role: str | None, page: int) -> dict:
    """One page of the user's orders (as buyer, seller or both), newest first."""
    answer = models_api.get_client().list_orders(
        authenticator=user.token, role=role, page=page, page_size=ORDERS_PAGE_SIZE
    )
    return _page(answer, page=page, page_size=ORDERS_PAGE_SIZE)


def order(*, user: ApiUser, order_id: int) -> dict:
    """The order as its buyer or seller sees it (403 for anyone else, 404 unknown)."""
    return models_api.get_client().get_order(authenticator=user.token, order_id=order_id)


def threads_page(*, user: ApiUser, page: int) -> dict:
    """One page of the user's conversations, latest activity first, with unread counts."""
    answer = models_api.get_client().list_threads(
        authenticator=user.token, page=page, page_size=THREADS_PAGE_SIZE
    )
    return _page(answer, page=page, page_size=THREADS_PAGE_SIZE)


# ``unread_messages(cached=...)`` when the caller did not read the cache itself.
NOT_READ = object()


def unread_messages(*, user: ApiUser, cached=NOT_READ) -> int | None:
    """The user's unread messages over all threads, or None when models-api cannot say.

    Cached per user for ``UNREAD_CACHE_SECONDS`` (every page's header shows it); the
    copy is dropped when the user sends a message or opens a thread here
    (trade.services), so their own actions show at once; a message from the other
    party shows within the cache's lifetime. A failure is not cached. ``cached``: what
    the caller already read at ``unread_cache_key(user.id)`` along with other keys
    (None: nothing there).
    """
    key = unread_cache_key(user.id)
    if cached is NOT_READ:
        cached = cache.get(key)
    if cached is not None:
        return int(cached)
    try:
        count = models_api.get_client().unread_message_count(authenticator=user.token)
    except models_api.ModelsApiError as exc:
        logger.warning(
            "unread count unavailable", extra={"user_id": user.id, "error": type(exc).__name__}
        )
        return None
    cache.set(key, count, timeout=settings.UNREAD_CACHE_SECONDS)
    return count
