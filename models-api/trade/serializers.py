"""Input validation and the wire representations of orders, threads and messages
(docs/selling-and-buying.md). The ``*Out`` serializers document the same shapes."""

from __future__ import annotations

from rest_framework import serializers

from catalogue.models import ListingStatus
from core.formatting import iso_utc
from mpcommon import trade_rules
from mpcommon.api_fields import IdField, StrictCharField
from mpcommon.listing_rules import price_string
from photos.serializers import PhotoOut, cover_of

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
ROLES = ("buyer", "seller")


def user_brief(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "display_name": user.public_name}


def role_of(order, user) -> str:
    return "buyer" if user.id == order.buyer_id else "seller"


def order_representation(order, user) -> dict:
    """The order for ``user`` (needs listing, buyer, seller and history loaded)."""
    listing = order.listing
    return {
        "id": order.id,
        "status": order.status,
        "listing": {
            "id": order.listing_id,
            "title": order.listing_title,
            "price": price_string(order.listing_price),
            "status": listing.status if listing is not None else None,
            "cover": cover_of(listing),
        },
        "buyer": user_brief(order.buyer),
        "seller": user_brief(order.seller),
        "message": order.message,
        "created_at": iso_utc(order.created_at),
        "updated_at": iso_utc(order.updated_at),
        "history": [
            {"status": entry.status, "actor": user_brief(entry.actor), "at": iso_utc(entry.at)}
            for entry in order.history.all()
        ],
        "actions": trade_rules.allowed_actions(order.status, role_of(order, user)),
    }


def message_representation(message) -> dict:
    return {
        "id": message.id,
        "sender": user_brief(message.sender),
        "body": message.body,
        "created_at": iso_utc(message.created_at),
    }


def thread_representation(thread) -> dict:
    """The thread as annotated for one reader (``unread``, ``last_message``)."""
    listing = thread.listing
    last = getattr(thread, "last_message", None)
    return {
        "id": thread.id,
        "listing": {
            "id": thread.listing_id,
            "title": thread.listing_title,
            "status": listing.status if listing is not None else None,
            "cover": cover_of(listing),
        },
        "buyer": user_brief(thread.buyer),
        "seller": user_brief(thread.seller),
        "created_at": iso_utc(thread.created_at),
        "last_message_at": iso_utc(thread.last_message_at),
        "unread": thread.unread,
        "last_message": message_representation(last) if last is not None else None,
    }


# ---------------------------------------------------------------- input


class MessageBodyField(StrictCharField):
    """Trimmed; 1..MESSAGE_BODY_MAX_LENGTH characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", trade_rules.MESSAGE_BODY_MAX_LENGTH)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)


class OrderCreateIn(serializers.Serializer):
    listing = IdField()
    message = StrictCharField(
        max_length=trade_rules.ORDER_MESSAGE_MAX_LENGTH, required=False, allow_blank=True
    )


class OrderActionIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=trade_rules.ORDER_ACTIONS)


class OrderQueryIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=ROLES, required=False)
    status = serializers.ChoiceField(choices=trade_rules.ORDER_STATE_VALUES, required=False)
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, default=DEFAULT_PAGE_SIZE
    )


class PageQueryIn(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, default=DEFAULT_PAGE_SIZE
    )


class ThreadPageQueryIn(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, default=1)


class MessageIn(serializers.Serializer):
    body = MessageBodyField()
    client_token = StrictCharField(
        max_length=trade_rules.CLIENT_TOKEN_MAX_LENGTH, required=False, allow_blank=True
    )


# ---------------------------------------------------------------- output (schema only)


class UserBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class OrderListingOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null once the listing is deleted.")
    title = serializers.CharField(help_text="Snapshot taken when the order was placed.")
    price = serializers.CharField(help_text='Snapshot, two decimals, e.g. "12.50".')
    status = serializers.ChoiceField(choices=ListingStatus.choices, allow_null=True)
    cover = PhotoOut(allow_null=True, help_text="The listing's first photo.")


class OrderHistoryOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=trade_rules.ORDER_STATES)
    actor = UserBriefOut(allow_null=True, help_text="Null: done by the system.")
    at = serializers.DateTimeField()


class OrderOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=trade_rules.ORDER_STATES)
    listing = OrderListingOut()
    buyer = UserBriefOut()
    seller = UserBriefOut()
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    history = OrderHistoryOut(many=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=trade_rules.ORDER_ACTIONS),
        help_text="What the acting user may do now.",
    )


class OrderPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.IntegerField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True)
    results = OrderOut(many=True)


class MessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    sender = UserBriefOut()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class ThreadListingOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ListingStatus.choices, allow_null=True)
    cover = PhotoOut(allow_null=True, help_text="The listing's first photo.")


class ThreadOut(serializers.Serializer):
    id = serializers.IntegerField()
    listing = ThreadListingOut()
    buyer = UserBriefOut()
    seller = UserBriefOut()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField()
    unread = serializers.IntegerField(help_text="Unread messages for the acting user.")
    last_message = MessageOut(allow_null=True)


class ThreadPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.IntegerField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True)
    results = ThreadOut(many=True)


class ThreadMessageOut(serializers.Serializer):
    thread = ThreadOut()
    message = MessageOut()


class ThreadDetailOut(serializers.Serializer):
    thread = ThreadOut()
    messages = MessageOut(many=True, help_text="Oldest first within the page.")
    count = serializers.IntegerField()
    page = serializers.IntegerField(help_text="1 is the newest page.")
    pages = serializers.IntegerField()


class UnreadOut(serializers.Serializer):
    unread = serializers.IntegerField()
