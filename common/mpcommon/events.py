"""The event contract: Kafka topic names and versioned JSON event schemas.

This module is the single home of the event definitions (docs/events.md renders the
same facts for humans). Producers build events with the ``*_event`` functions;
consumers check them with :func:`validate_event`, and send anything invalid to the
topic's dead-letter topic.

Every event is a JSON object with ``"v": 1``. Listing events are keyed by listing id
(so one listing's events stay ordered in one partition) and carry a per-listing
``version`` that increases on every change: consumers apply an event only if its
version is newer than what they have (idempotent, order-safe).
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from mpcommon import listing_rules, photo_rules, trade_rules

SCHEMA_VERSION = 1

TOPIC_LISTINGS = "listings"
TOPIC_PAGE_VIEWS = "page-views"
TOPIC_PHOTOS = "photos"
TOPIC_SAVED_SEARCHES = "saved-searches"
TOPIC_ORDERS = "orders"
TOPIC_MESSAGES = "messages"
DEAD_LETTER_SUFFIX = ".dlq"
ALL_TOPICS = (
    TOPIC_LISTINGS,
    TOPIC_PAGE_VIEWS,
    TOPIC_PHOTOS,
    TOPIC_ORDERS,
    TOPIC_MESSAGES,
    TOPIC_SAVED_SEARCHES,
)

LISTING_CREATED = "listing.created"
LISTING_UPDATED = "listing.updated"
LISTING_DELETED = "listing.deleted"
PAGE_VIEWED = "page.viewed"
PHOTO_UPLOADED = "photo.uploaded"
MESSAGE_SENT = "message.sent"
SAVED_SEARCH_UPSERTED = "saved_search.upserted"
SAVED_SEARCH_DELETED = "saved_search.deleted"
SAVED_SEARCH_EVENT_TYPES = (SAVED_SEARCH_UPSERTED, SAVED_SEARCH_DELETED)
LISTING_EVENT_TYPES = (LISTING_CREATED, LISTING_UPDATED, LISTING_DELETED)
# One event type per state an order enters: order.requested, order.accepted, ...
ORDER_EVENT_TYPES = tuple(f"order.{state}" for state in trade_rules.ORDER_STATE_VALUES)

PHOTO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "position", "width", "height", "url", "card_url", "detail_url"],
    "properties": {
        "id": {"type": "integer"},
        "position": {"type": "integer", "minimum": 0},
        "width": {"type": "integer", "minimum": 1},
        "height": {"type": "integer", "minimum": 1},
        # Public paths (/media/<sha256>.<ext>); the thumbnails are null until made.
        "url": {"type": "string"},
        "card_url": {"type": ["string", "null"]},
        "detail_url": {"type": ["string", "null"]},
    },
}

# JSON Schema (draft 2020-12) of each event type; documentation and validation in one.
LISTING_DOCUMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "title",
        "description",
        "price",
        "category",
        "condition",
        "status",
        "seller",
        "view_count",
        "created_at",
        "updated_at",
        "version",
    ],
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": "string", "maxLength": listing_rules.TITLE_MAX_LENGTH},
        "description": {"type": "string", "maxLength": listing_rules.DESCRIPTION_MAX_LENGTH},
        "price": {"type": "string", "pattern": listing_rules.PRICE_PATTERN},
        "category": {
            "type": "object",
            "required": ["slug", "name"],
            "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
        },
        "condition": {"type": "string"},
        "status": {"enum": list(listing_rules.STATUS_VALUES)},
        "seller": {
            "type": "object",
            "required": ["id", "username"],
            "properties": {
                "id": {"type": "integer"},
                "username": {"type": "string"},
                "display_name": {"type": "string"},
            },
        },
        "view_count": {"type": "integer", "minimum": 0},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        # In position order; the first is the cover. Optional (older events lack it).
        "photos": {
            "type": "array",
            "maxItems": photo_rules.MAX_PHOTOS_PER_LISTING,
            "items": PHOTO_SCHEMA,
        },
    },
}

LISTING_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Listing event (topic 'listings', key = listing id)",
    "type": "object",
    "required": ["v", "type", "event_id", "occurred_at", "listing_id", "version", "listing"],
    "properties": {
        "v": {"const": SCHEMA_VERSION},
        "type": {"enum": list(LISTING_EVENT_TYPES)},
        "event_id": {"type": "string"},
        "occurred_at": {"type": "string"},
        "listing_id": {"type": "integer"},
        "version": {"type": "integer", "minimum": 1},
        # The whole listing document; null only for listing.deleted.
        "listing": {"anyOf": [LISTING_DOCUMENT_SCHEMA, {"type": "null"}]},
    },
}

PAGE_VIEW_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Page view event (topic 'page-views', key = listing id)",
    "type": "object",
    "required": ["v", "type", "event_id", "user_id", "listing_id", "viewed_at"],
    "properties": {
        "v": {"const": SCHEMA_VERSION},
        "type": {"const": PAGE_VIEWED},
        "event_id": {"type": "string"},
        "user_id": {"type": ["integer", "null"]},
        "listing_id": {"type": "integer"},
        "viewed_at": {"type": "string"},
    },
}

PHOTO_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Photo event (topic 'photos', key = listing id)",
    "type": "object",
    "required": ["v", "type", "event_id", "occurred_at", "photo_id", "listing_id", "original"],
    "properties": {
        "v": {"const": SCHEMA_VERSION},
        "type": {"const": PHOTO_UPLOADED},
        "event_id": {"type": "string"},
        "occurred_at": {"type": "string"},
        "photo_id": {"type": "integer"},
        "listing_id": {"type": "integer"},
        # Media key of the re-encoded original the thumbnails are made from.
        "original": {"type": "string", "pattern": f"^{photo_rules.MEDIA_KEY_PATTERN}$"},
    },
}

ORDER_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Order event (topic 'orders', key = order id)",
    "type": "object",
    "required": [
        "v",
        "type",
        "event_id",
        "occurred_at",
        "order_id",
        "listing_id",
        "buyer_id",
        "seller_id",
        "actor_id",
        "status",
    ],
    "properties": {
        "v": {"const": SCHEMA_VERSION},
        "type": {"enum": list(ORDER_EVENT_TYPES)},
        "event_id": {"type": "string"},
        "occurred_at": {"type": "string"},
        "order_id": {"type": "integer"},
        "listing_id": {"type": ["integer", "null"]},  # null once the listing was deleted
        "buyer_id": {"type": "integer"},
        "seller_id": {"type": "integer"},
        "actor_id": {"type": ["integer", "null"]},  # null when the system acted
        "status": {"enum": list(trade_rules.ORDER_STATE_VALUES)},
    },
}

MESSAGE_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Message event (topic 'messages', key = thread id); the body is not carried",
    "type": "object",
    "required": [
        "v",
        "type",
        "event_id",
        "occurred_at",
        "message_id",
        "thread_id",
        "listing_id",
        "sender_id",
        "recipient_id",
    ],
    "properties": {
        "v": {"const": SCHEMA_VERSION},
        "type": {"const": MESSAGE_SENT},
        "event_id": {"type": "string"},
        "occurred_at": {"type": "string"},
        "message_id": {"type": "integer"},
        "thread_id": {"type": "integer"},
        "listing_id": {"type": ["integer", "null"]},
        "sender_id": {"type": "integer"},
        "recipient_id": {"type": "integer"},
    },
}

SAVED_SEARCH_EVENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Saved search event (topic 'saved-searches', key = saved search id)",
    "type": "object",
    "required": [
        "v",
        "type",
        "event_id",
        "occurred_at",
        "saved_search_id",
        "user_id",
        "saved_search",
    ],
    "properties": {
        "v": {"const": SCHEMA_VERSION},
        "type": {"enum": list(SAVED_SEARCH_EVENT_TYPES)},
        "event_id": {"type": "string"},
        "occurred_at": {"type": "string"},
        "saved_search_id": {"type": "integer"},
        "user_id": {"type": "integer"},
        # What the percolator needs; null for saved_search.deleted.
        "saved_search": {
            "anyOf": [
                {
                    "type": "object",
                    "required": ["query", "filters", "paused"],
                    "properties": {
                        "query": {"type": "string"},
                        "filters": {
                            "type": "object",
                            "properties": {
                                "category": {"type": "string"},
                                "min_price": {"type": "string"},
                                "max_price": {"type": "string"},
                                "condition": {"type": "string"},
                            },
                            "additionalProperties": False,
                        },
                        "paused": {"type": "boolean"},
                    },
                },
                {"type": "null"},
            ]
        },
    },
}

SCHEMAS_BY_TOPIC = {
    TOPIC_LISTINGS: LISTING_EVENT_SCHEMA,
    TOPIC_PAGE_VIEWS: PAGE_VIEW_EVENT_SCHEMA,
    TOPIC_PHOTOS: PHOTO_EVENT_SCHEMA,
    TOPIC_ORDERS: ORDER_EVENT_SCHEMA,
    TOPIC_MESSAGES: MESSAGE_EVENT_SCHEMA,
    TOPIC_SAVED_SEARCHES: SAVED_SEARCH_EVENT_SCHEMA,
}


class InvalidEvent(ValueError):
    """The message is not a valid event of its topic (a poison message)."""


def dead_letter_topic(topic: str) -> str:
    return topic + DEAD_LETTER_SUFFIX


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def listing_event(
    event_type: str,
    listing_id: int,
    version: int,
    listing: dict | None,
    *,
    event_id: str | None = None,
    occurred_at: str | None = None,
) -> dict[str, Any]:
    """Build a listing event; ``listing`` is the full document (None when deleted)."""
    if event_type not in LISTING_EVENT_TYPES:
        raise ValueError(f"unknown listing event type {event_type!r}")
    return {
        "v": SCHEMA_VERSION,
        "type": event_type,
        "event_id": event_id or uuid.uuid4().hex,
        "occurred_at": occurred_at or _now(),
        "listing_id": listing_id,
        "version": version,
        "listing": listing,
    }


def page_view_event(listing_id: int, user_id: int | None, *, viewed_at: str | None = None) -> dict:
    """Build a page-view event for one listing detail view."""
    return {
        "v": SCHEMA_VERSION,
        "type": PAGE_VIEWED,
        "event_id": uuid.uuid4().hex,
        "user_id": user_id,
        "listing_id": listing_id,
        "viewed_at": viewed_at or _now(),
    }


def photo_uploaded_event(photo_id: int, listing_id: int, original: str) -> dict[str, Any]:
    """Build the event that asks the thumbnail worker to make a photo's thumbnails."""
    return {
        "v": SCHEMA_VERSION,
        "type": PHOTO_UPLOADED,
        "event_id": uuid.uuid4().hex,
        "occurred_at": _now(),
        "photo_id": photo_id,
        "listing_id": listing_id,
        "original": original,
    }


def order_event(
    *,
    order_id: int,
    listing_id: int | None,
    buyer_id: int,
    seller_id: int,
    actor_id: int | None,
    status: str,
) -> dict[str, Any]:
    """Build the event of an order entering ``status`` (type ``order.<status>``)."""
    if status not in trade_rules.ORDER_STATE_VALUES:
        raise ValueError(f"unknown order status {status!r}")
    return {
        "v": SCHEMA_VERSION,
        "type": f"order.{status}",
        "event_id": uuid.uuid4().hex,
        "occurred_at": _now(),
        "order_id": order_id,
        "listing_id": listing_id,
        "buyer_id": buyer_id,
        "seller_id": seller_id,
        "actor_id": actor_id,
        "status": status,
    }


def message_sent_event(
    *, message_id: int, thread_id: int, listing_id: int | None, sender_id: int, recipient_id: int
) -> dict[str, Any]:
    """Build the event of one message written in a buyer-seller thread."""
    return {
        "v": SCHEMA_VERSION,
        "type": MESSAGE_SENT,
        "event_id": uuid.uuid4().hex,
        "occurred_at": _now(),
        "message_id": message_id,
        "thread_id": thread_id,
        "listing_id": listing_id,
        "sender_id": sender_id,
        "recipient_id": recipient_id,
    }


def encode(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def decode(topic: str, raw: bytes | None) -> dict:
    """Parse and validate one message of ``topic``; raise :class:`InvalidEvent` if bad."""
    try:
        event = json.loads(raw or b"")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from exc
    validate_event(topic, event)
    return event


@functools.cache
def _validator(topic: str):
    # jsonschema.validate() re-checks the schema and builds a validator on every call
    # (~4 ms per event); a cached validator is ~50x faster, which the indexer needs.
    import jsonschema

    return jsonschema.Draft202012Validator(SCHEMAS_BY_TOPIC[topic])


def validate_event(topic: str, event: Any) -> None:
    import jsonschema

    if topic not in SCHEMAS_BY_TOPIC:
        raise InvalidEvent(f"no schema for topic {topic!r}")
    try:
        _validator(topic).validate(event)
    except jsonschema.ValidationError as exc:
        raise InvalidEvent(exc.message) from exc
    if event["type"] != LISTING_DELETED and topic == TOPIC_LISTINGS and event["listing"] is None:
        raise InvalidEvent("listing document missing")


def saved_search_event(
    event_type: str, *, saved_search_id: int, user_id: int, saved_search: dict | None
) -> dict[str, Any]:
    """Build a saved-search event; ``saved_search`` is ``{"query", "filters", "paused"}``
    (None for ``saved_search.deleted``)."""
    if event_type not in SAVED_SEARCH_EVENT_TYPES:
        raise ValueError(f"unknown saved search event type {event_type!r}")
    return {
        "v": SCHEMA_VERSION,
        "type": event_type,
        "event_id": uuid.uuid4().hex,
        "occurred_at": _now(),
        "saved_search_id": saved_search_id,
        "user_id": user_id,
        "saved_search": saved_search,
    }
