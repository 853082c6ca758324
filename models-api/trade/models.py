"""Orders (with their history) and buyer-seller message threads.

The rules that must hold whatever the code path live in the database: one accepted
order per listing and one open order per (listing, buyer) are partial unique indexes,
one thread per (listing, buyer) and one message per (thread, sender, client_token) are
unique constraints, states are CHECK constraints. Orders and threads keep a snapshot of
the listing (title, price): the listing may be deleted later (``listing`` becomes null).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mpcommon import trade_rules
from mpcommon.listing_rules import PRICE_DECIMAL_PLACES, PRICE_MAX_DIGITS, TITLE_MAX_LENGTH


class Order(models.Model):
    listing = models.ForeignKey(
        "catalogue.Listing", null=True, on_delete=models.SET_NULL, related_name="orders"
    )
    listing_title = models.CharField(max_length=TITLE_MAX_LENGTH)
    listing_price = models.DecimalField(
        max_digits=PRICE_MAX_DIGITS, decimal_places=PRICE_DECIMAL_PLACES
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders_bought",
        db_index=False,  # covered by trade_order_buyer_newest_idx
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders_sold",
        db_index=False,  # covered by trade_order_seller_newest_idx
    )
    status = models.CharField(
        max_length=16, choices=trade_rules.ORDER_STATES, default=trade_rules.ORDER_REQUESTED
    )
    message = models.CharField(max_length=trade_rules.ORDER_MESSAGE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=trade_rules.ORDER_STATE_VALUES),
                name="trade_order_status_valid",
            ),
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(status=trade_rules.ORDER_ACCEPTED),
                name="trade_order_one_accepted_per_listing",
            ),
            models.UniqueConstraint(
                fields=["listing", "buyer"],
                condition=Q(status__in=trade_rules.OPEN_ORDER_STATES),
                name="trade_order_one_open_per_buyer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["buyer", "-created_at", "-id"], name="trade_order_buyer_newest_idx"
            ),
            models.Index(
                fields=["seller", "-created_at", "-id"], name="trade_order_seller_newest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.status})"


class OrderEvent(models.Model):
    """One entry of an order's history: the state it entered, who did it (null: the system)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=16, choices=trade_rules.ORDER_STATES)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=trade_rules.ORDER_STATE_VALUES),
                name="trade_orderevent_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.order_id} -> {self.status}"


class Thread(models.Model):
    listing = models.ForeignKey(
        "catalogue.Listing", null=True, on_delete=models.SET_NULL, related_name="threads"
    )
    listing_title = models.CharField(max_length=TITLE_MAX_LENGTH)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="threads_as_buyer",
        db_index=False,  # covered by trade_thread_buyer_latest_idx
    )
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="threads_as_seller",
        db_index=False,  # covered by trade_thread_seller_latest_idx
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    buyer_last_read_at = models.DateTimeField(null=True, blank=True)
    seller_last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "buyer"], name="trade_thread_one_per_listing_buyer"
            ),
        ]
        indexes = [
            models.Index(
                fields=["buyer", "-last_message_at", "-id"], name="trade_thread_buyer_latest_idx"
            ),
            models.Index(
                fields=["seller", "-last_message_at", "-id"], name="trade_thread_seller_latest_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Thread {self.pk}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.CharField(max_length=trade_rules.MESSAGE_BODY_MAX_LENGTH)
    # The form's hidden per-submit token; "" when the client sent none.
    client_token = models.CharField(
        max_length=trade_rules.CLIENT_TOKEN_MAX_LENGTH, blank=True, default=""
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "sender", "client_token"],
                condition=~Q(client_token=""),
                name="trade_message_client_token_once",
            ),
            models.CheckConstraint(condition=~Q(body=""), name="trade_message_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["thread", "-created_at", "-id"], name="trade_message_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"
