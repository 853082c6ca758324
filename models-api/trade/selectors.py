"""Reads of orders and threads, a fixed number of queries per page.

Orders: COUNT, the joined page (listing, buyer, seller), the listings' photos (the
cover) and the history (one prefetch each).
Threads: COUNT, the joined page with each thread's unread count for the reader
(a subquery annotation), the listings' photos (one prefetch), the last messages (one
query).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from core.errors import NotFound, PermissionDenied
from mpcommon import trade_rules
from mpcommon.api_fields import MAX_BIGINT
from trade.models import Message, Order, OrderEvent, Thread

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    count: int
    page: int
    page_size: int
    items: list

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page * self.page_size < self.count else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None


# ---------------------------------------------------------------- orders


def _orders() -> QuerySet[Order]:
    return Order.objects.select_related("listing", "buyer", "seller").prefetch_related(
        "listing__photos",  # the cover
        Prefetch(
            "history", queryset=OrderEvent.objects.select_related("actor").order_by("at", "id")
        ),
    )


def open_order_of(*, listing_id: int, buyer_id: int) -> Order | None:
    return (
        _orders()
        .filter(listing_id=listing_id, buyer_id=buyer_id, status__in=trade_rules.OPEN_ORDER_STATES)
        .first()
    )


def order_by_id(order_id: int, user) -> Order:
    """The order, for its buyer or seller (403 for anyone else, 404 if unknown)."""
    if not 0 < order_id <= MAX_BIGINT:
        raise NotFound("Order not found.")
    order = _orders().filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.")
    if user.id not in (order.buyer_id, order.seller_id):
        raise PermissionDenied("Only the buyer or the seller may see this order.")
    return order


def order_page(
    user, *, role: str | None = None, status: str | None = None, page: int = 1, page_size: int = 20
) -> Page:
    """The user's orders (as ``role``, or both), newest first."""
    if role == "buyer":
        queryset = Order.objects.filter(buyer_id=user.id)
    elif role == "seller":
        queryset = Order.objects.filter(seller_id=user.id)
    else:
        queryset = Order.objects.filter(Q(buyer_id=user.id) | Q(seller_id=user.id))
    if status is not None:
        queryset = queryset.filter(status=status)
    count = queryset.count()
    offset = (page - 1) * page_size
    ids = queryset.order_by("-created_at", "-id").values("id")[offset : offset + page_size]
    items = list(_orders().filter(pk__in=Subquery(ids)).order_by("-created_at", "-id"))
    return Page(count=count, page=page, page_size=page_size, items=items)


# ---------------------------------------------------------------- threads


def _participant(user) -> Q:
    return Q(buyer_id=user.id) | Q(seller_id=user.id)


def _threads_for(user) -> QuerySet[Thread]:
    """The user's threads with ``unread`` (from the other participant, after the user's
    last read) and ``last_message_id`` annotated."""
    my_read = Case(
        When(buyer_id=user.id, then=F("buyer_last_read_at")),
        default=F("seller_last_read_at"),
    )
    unread = (
        Message.objects.filter(thread=OuterRef("pk"))
        .exclude(sender_id=user.id)
        .filter(created_at__gt=Coalesce(OuterRef("my_read"), Value(NEVER)))
        .order_by()
        .values("thread")
        .annotate(n=Count("id"))
        .values("n")
    )
    last = Message.objects.filter(thread=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Thread.objects.filter(_participant(user))
        .select_related("listing", "buyer", "seller")
        .prefetch_related("listing__photos")  # the cover
        .annotate(
            my_read=my_read,
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            last_message_id=Subquery(last.values("id")[:1]),
        )
    )


def _attach_last_messages(threads: list[Thread]) -> None:
    ids = [t.last_message_id for t in threads if t.last_message_id is not None]
    messages = Message.objects.select_related("sender").in_bulk(ids) if ids else {}
    for thread in threads:
        thread.last_message = messages.get(thread.last_message_id)


def thread_page(user, *, page: int = 1, page_size: int = 20) -> Page:
    """The user's threads, latest activity first."""
    count = Thread.objects.filter(_participant(user)).count()
    offset = (page - 1) * page_size
    items = list(
        _threads_for(user).order_by("-last_message_at", "-id")[offset : offset + page_size]
    )
    _attach_last_messages(items)
    return Page(count=count, page=page, page_size=page_size, items=items)


def thread_of_participant(thread_id: int, user) -> Thread:
    """The thread (404 if unknown), for its buyer or seller only (403)."""
    if not 0 < thread_id <= MAX_BIGINT:
        raise NotFound("Thread not found.")
    thread = Thread.objects.filter(pk=thread_id).first()
    if thread is None:
        raise NotFound("Thread not found.")
    if user.id not in (thread.buyer_id, thread.seller_id):
        raise PermissionDenied("Only the buyer and the seller may see this thread.")
    return thread


def thread_for(thread_id: int, user) -> Thread:
    """The thread annotated for ``user`` (unread, last message)."""
    thread_of_participant(thread_id, user)
    thread = _threads_for(user).get(pk=thread_id)
    _attach_last_messages([thread])
    return thread


@dataclass(frozen=True)
class ThreadMessages:
    thread: Thread
    messages: list[Message]
    count: int
    page: int
    pages: int


def thread_messages(thread_id: int, user, *, page: int = 1) -> ThreadMessages:
    """One page of the thread's messages: page 1 is the newest, oldest first within."""
    thread = thread_for(thread_id, user)
    per_page = trade_rules.MESSAGES_PER_THREAD_PAGE
    count = Message.objects.filter(thread_id=thread.id).count()
    pages = max(1, -(-count // per_page))
    offset = (page - 1) * per_page
    newest_first = list(
        Message.objects.filter(thread_id=thread.id)
        .select_related("sender")
        .order_by("-created_at", "-id")[offset : offset + per_page]
    )
    return ThreadMessages(
        thread=thread, messages=newest_first[::-1], count=count, page=page, pages=pages
    )


def unread_total(user) -> int:
    """Messages from the other participant after the user's last read, over all threads."""
    return (
        Message.objects.exclude(sender_id=user.id)
        .filter(
            Q(
                thread__buyer_id=user.id,
                created_at__gt=Coalesce(F("thread__buyer_last_read_at"), Value(NEVER)),
            )
            | Q(
                thread__seller_id=user.id,
                created_at__gt=Coalesce(F("thread__seller_last_read_at"), Value(NEVER)),
            )
        )
        .count()
    )
