"""Writes of orders and messages.

Every order transition appends a history row and records ``order.<state>`` in the
outbox in the same transaction; a transition that changes the listing (accept:
``reserved``, complete: ``sold``, cancel of an accepted order: ``active``) bumps its
version and records ``listing.updated`` with the whole document, like
catalogue.services does. Locks are always taken listing first, then order, so two
transitions of one listing queue on the listing row and cannot deadlock.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalogue.models import Listing
from catalogue.serializers import listing_document
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from mpcommon import events, listing_rules, trade_rules
from mpcommon.api_fields import MAX_BIGINT
from outbox.services import record_event, record_listing_event
from trade import selectors
from trade.models import Message, Order, OrderEvent, Thread

logger = logging.getLogger(__name__)

LISTING_ACTIVE = "active"
LISTING_SOLD = "sold"


def _listing(listing_id: int, *, lock: bool = False) -> Listing:
    if not 0 < listing_id <= MAX_BIGINT:
        raise NotFound("Listing not found.")
    queryset = Listing.objects.select_related("seller", "category")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    listing = queryset.filter(pk=listing_id).first()
    if listing is None:
        raise NotFound("Listing not found.")
    return listing


def _not_own(listing: Listing, user, what: str) -> None:
    if listing.seller_id == user.id:
        raise PermissionDenied(f"You cannot {what} your own listing.", code="own_listing")


def _record_order_event(order: Order, actor_id: int | None) -> None:
    record_event(
        topic=events.TOPIC_ORDERS,
        key=order.id,
        event=events.order_event(
            order_id=order.id,
            listing_id=order.listing_id,
            buyer_id=order.buyer_id,
            seller_id=order.seller_id,
            actor_id=actor_id,
            status=order.status,
        ),
    )


def _enter(order: Order, status: str, actor_id: int | None) -> None:
    """Move ``order`` to ``status``: save, history row, ``order.<status>`` event."""
    now = timezone.now()
    order.status = status
    order.updated_at = now
    order.save(update_fields=["status", "updated_at"])
    OrderEvent.objects.create(order=order, status=status, actor_id=actor_id, at=now)
    _record_order_event(order, actor_id)


def _set_listing_status(listing: Listing, status: str) -> None:
    listing.status = status
    listing.version += 1
    listing.updated_at = timezone.now()
    listing.save(update_fields=["status", "version", "updated_at"])
    record_listing_event(
        event_type=events.LISTING_UPDATED,
        listing_id=listing.id,
        version=listing.version,
        document=listing_document(listing),
    )


# ---------------------------------------------------------------- orders


def place_order(*, buyer, listing_id: int, message: str = "") -> tuple[Order, bool]:
    """Request to buy the listing; returns (order, created).

    A buyer's open order for the listing is returned as it is (``created`` False): a
    double-submitted form, even two racing requests (the partial unique index decides),
    gives one order. NotFound (unknown listing), PermissionDenied ``own_listing``,
    Conflict ``listing_not_active``.
    """
    listing = _listing(listing_id)
    _not_own(listing, buyer, "order")
    existing = selectors.open_order_of(listing_id=listing.id, buyer_id=buyer.id)
    if existing is not None:
        return existing, False
    if listing.status != LISTING_ACTIVE:
        raise Conflict("This listing is not available.", code="listing_not_active")
    try:
        with transaction.atomic():
            now = timezone.now()
            order = Order.objects.create(
                listing=listing,
                listing_title=listing.title,
                listing_price=listing.price,
                buyer=buyer,
                seller_id=listing.seller_id,
                message=message,
                created_at=now,
                updated_at=now,
            )
            OrderEvent.objects.create(order=order, status=order.status, actor_id=buyer.id, at=now)
            _record_order_event(order, buyer.id)
    except IntegrityError:
        # Another request of this buyer won the race: its order is committed now.
        existing = selectors.open_order_of(listing_id=listing.id, buyer_id=buyer.id)
        if existing is None:
            raise
        return existing, False
    logger.info("order placed", extra={"order_id": order.id, "listing_id": listing.id})
    return selectors.order_by_id(order.id, buyer), True


def _role_of(order: Order, user) -> str:
    if user.id == order.buyer_id:
        return "buyer"
    if user.id == order.seller_id:
        return "seller"
    raise PermissionDenied("Only the buyer or the seller may act on this order.")


def _check_transition(order: Order, action: str, role: str) -> str:
    """The next state, or PermissionDenied / Conflict ``order_state``."""
    transition = trade_rules.ORDER_TRANSITIONS.get((order.status, action))
    if transition is None:
        ever_allowed = any(
            a == action and who in (role, "either")
            for (_, a), (who, _) in trade_rules.ORDER_TRANSITIONS.items()
        )
        if not ever_allowed:
            raise PermissionDenied(f"The {role} may not {action} an order.")
        raise Conflict(f"An order that is {order.status} cannot be {action}ed.", code="order_state")
    who, next_state = transition
    if who not in (role, "either"):
        raise PermissionDenied(f"The {role} may not {action} this order.")
    return next_state


def act_on_order(*, order_id: int, actor, action: str) -> Order:
    """Take ``action`` on the order as ``actor``; the transition and its effects commit
    together. NotFound, ValidationFailed (unknown action), PermissionDenied, Conflict
    ``order_state`` / ``listing_not_active``."""
    if action not in trade_rules.ORDER_ACTIONS:
        raise ValidationFailed({"action": [f"Unknown action {action!r}."]})
    if not 0 < order_id <= MAX_BIGINT:
        raise NotFound("Order not found.")
    with transaction.atomic():
        listing_id = Order.objects.filter(pk=order_id).values_list("listing_id", flat=True).first()
        listing = None
        if listing_id is not None:
            listing = (
                Listing.objects.select_related("seller", "category")
                .select_for_update(of=("self",))
                .filter(pk=listing_id)
                .first()
            )
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise NotFound("Order not found.")
        role = _role_of(order, actor)
        next_state = _check_transition(order, action, role)
        if action == trade_rules.ACTION_ACCEPT:
            if listing is None or listing.status != LISTING_ACTIVE:
                raise Conflict("This listing is not available.", code="listing_not_active")
            try:
                with transaction.atomic():
                    _enter(order, next_state, actor.id)
            except IntegrityError as exc:  # the partial unique index: one accepted per listing
                raise Conflict(
                    "Another order of this listing is accepted.", code="listing_not_active"
                ) from exc
            _set_listing_status(listing, listing_rules.STATUS_RESERVED)
        elif action == trade_rules.ACTION_COMPLETE:
            _enter(order, next_state, actor.id)
            if listing is not None:
                _set_listing_status(listing, LISTING_SOLD)
                _decline_requested(listing.id, exclude_order_id=order.id)
        elif action == trade_rules.ACTION_CANCEL and order.status == trade_rules.ORDER_ACCEPTED:
            _enter(order, next_state, actor.id)
            if listing is not None and listing.status == listing_rules.STATUS_RESERVED:
                _set_listing_status(listing, LISTING_ACTIVE)
        else:
            _enter(order, next_state, actor.id)
    logger.info(
        "order transition",
        extra={"order_id": order.id, "action": action, "status": order.status},
    )
    return selectors.order_by_id(order.id, actor)


def _decline_requested(listing_id: int, *, exclude_order_id: int | None = None) -> int:
    orders = Order.objects.select_for_update().filter(
        listing_id=listing_id, status=trade_rules.ORDER_REQUESTED
    )
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    declined = 0
    for order in orders.order_by("id"):
        _enter(order, trade_rules.ORDER_DECLINED, None)
        declined += 1
    return declined


def decline_open_orders(*, listing_id: int) -> int:
    """Decline every ``requested`` order of the listing as the system (actor null), with
    history and events; returns how many. Call it inside the listing change's
    transaction (status to sold/withdrawn, delete) before the listing row goes."""
    with transaction.atomic():
        declined = _decline_requested(listing_id)
    if declined:
        logger.info("orders declined", extra={"listing_id": listing_id, "orders": declined})
    return declined


# ---------------------------------------------------------------- messages


def _post(thread: Thread, sender, body: str, client_token: str | None) -> tuple[Message, bool]:
    """Store one message in ``thread`` (inside the caller's transaction); (message, created).

    The same ``client_token`` twice by one sender in one thread gives the first message.
    """
    if client_token:
        first = Message.objects.filter(
            thread=thread, sender=sender, client_token=client_token
        ).first()
        if first is not None:
            return first, False
    try:
        with transaction.atomic():
            message = Message.objects.create(
                thread=thread, sender=sender, body=body, client_token=client_token or ""
            )
    except IntegrityError:
        first = Message.objects.filter(
            thread=thread, sender=sender, client_token=client_token
        ).first()
        if first is None:
            raise
        return first, False
    Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
    thread.last_message_at = message.created_at
    recipient_id = thread.seller_id if sender.id == thread.buyer_id else thread.buyer_id
    record_event(
        topic=events.TOPIC_MESSAGES,
        key=thread.id,
        event=events.message_sent_event(
            message_id=message.id,
            thread_id=thread.id,
            listing_id=thread.listing_id,
            sender_id=sender.id,
            recipient_id=recipient_id,
        ),
    )
    return message, True


def message_seller(
    *, sender, listing_id: int, body: str, client_token: str | None = None
) -> tuple[Thread, Message, bool]:
    """Write to the listing's seller, in the one thread of (listing, sender)."""
    listing = _listing(listing_id)
    _not_own(listing, sender, "message about")
    with transaction.atomic():
        thread, _ = Thread.objects.get_or_create(
            listing=listing,
            buyer=sender,
            defaults={"seller_id": listing.seller_id, "listing_title": listing.title},
        )
        message, created = _post(thread, sender, body, client_token)
    return thread, message, created


def reply(*, thread_id: int, sender, body: str, client_token: str | None = None):
    """Write in a thread the sender takes part in; (message, created)."""
    thread = selectors.thread_of_participant(thread_id, sender)
    with transaction.atomic():
        return _post(thread, sender, body, client_token)


def mark_read(*, thread_id: int, reader) -> None:
    """Everything in the thread up to now counts as read by ``reader``."""
    thread = selectors.thread_of_participant(thread_id, reader)
    field = "buyer_last_read_at" if reader.id == thread.buyer_id else "seller_last_read_at"
    Thread.objects.filter(pk=thread.pk).update(**{field: timezone.now()})
