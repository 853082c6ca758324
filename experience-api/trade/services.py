"""Writes on orders and messages (models-api performs them; we keep our caches honest).

After an order is placed or acted on, the listing's status may change (accept:
reserved; complete: sold; cancel of an accepted order: active). The listing events
drive the cache invalidation as for any change, but the viewer's next page must not
show the old status for a moment: the listing's cached detail and the home page are
dropped here at once (caching.cache.invalidate_listing).
"""

from __future__ import annotations

import logging

from django.core.cache import cache

from accounts.users import ApiUser
from caching import cache as page_cache
from clients import models_api
from trade.selectors import unread_cache_key

logger = logging.getLogger(__name__)


def _forget_unread_count(user: ApiUser) -> None:
    cache.delete(unread_cache_key(user.id))


def _drop_cached_listing(order: dict) -> None:
    listing_id = (order.get("listing") or {}).get("id")
    if listing_id is not None:  # null once the listing was deleted
        page_cache.invalidate_listing(int(listing_id))


def place_order(*, user: ApiUser, listing_id: int, message: str = "") -> tuple[dict, bool]:
    """Ask to buy a listing; ``(order, created)``.

    ``created`` is False when the user already had an open order for that listing
    (models-api answers 200 with it): a double-submitted form gets the same order back.
    Raises NotFound, PermissionDenied (``own_listing``), Conflict (``listing_not_active``).
    """
    order, created = models_api.get_client().create_order(
        authenticator=user.token, listing_id=listing_id, message=message or None
    )
    if created:
        _drop_cached_listing(order)
    return order, created


def act_on_order(*, user: ApiUser, order_id: int, action: str) -> dict:
    """Accept, decline, complete or cancel an order as its buyer or seller.

    Raises PermissionDenied (not this party's action), NotFound, Conflict
    (``order_state``, ``listing_not_active``).
    """
    order = models_api.get_client().act_on_order(
        authenticator=user.token, order_id=order_id, action=action
    )
    _drop_cached_listing(order)
    return order


def message_seller(
    *, user: ApiUser, listing_id: int, body: str, client_token: str = ""
) -> tuple[dict, bool]:
    """Start or continue the user's conversation about a listing.

    ``({"thread", "message"}, created)``; created is False when ``client_token`` was
    already used in that thread (the first message is returned, nothing is stored).
    """
    answer, created = models_api.get_client().send_listing_message(
        authenticator=user.token, listing_id=listing_id, body=body, client_token=client_token
    )
    _forget_unread_count(user)
    return answer, created


def reply_in_thread(
    *, user: ApiUser, thread_id: int, body: str, client_token: str = ""
) -> tuple[dict, bool]:
    """Write in a thread the user takes part in; ``(message, created)`` as above."""
    message, created = models_api.get_client().send_thread_message(
        authenticator=user.token, thread_id=thread_id, body=body, client_token=client_token
    )
    _forget_unread_count(user)
    return message, created


def open_thread(*, user: ApiUser, thread_id: int, page: int) -> dict:
    """One page of a thread's messages; the thread is then marked read for the user.

    The read marking is best effort: if it fails the page is served all the same (the
    messages stay unread until the next visit). When it succeeds, the thread in the
    answer says ``unread: 0``, as it now is.
    """
    client = models_api.get_client()
    # Read first: a 403/404 costs one call and marks nothing.
    detail = client.get_thread(authenticator=user.token, thread_id=thread_id, page=page)
    try:
        client.mark_thread_read(authenticator=user.token, thread_id=thread_id)
    except models_api.ModelsApiError as exc:
        logger.warning(
            "marking the thread read failed",
            extra={"thread_id": thread_id, "error": type(exc).__name__},
        )
    else:
        detail["thread"]["unread"] = 0
        _forget_unread_count(user)
    return detail
