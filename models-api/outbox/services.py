"""Recording events in the outbox (inside the caller's transaction)."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from mpcommon import events
from outbox.models import OutboxEvent

# Channel of PostgreSQL NOTIFY; delivered only when the writing transaction commits.
NOTIFY_CHANNEL = "outbox_events"


def record_listing_event(
    *, event_type: str, listing_id: int, version: int, document: dict | None
) -> OutboxEvent:
    """Store a listing event for the relay to publish; call inside ``transaction.atomic``.

    The event is keyed by listing id (one listing's events stay in one partition, in
    order) and bound for ``OUTBOX_LISTINGS_TOPIC`` (the ``listings`` topic). ``document``
    is the whole listing (None for ``listing.deleted``).
    """
    if not connection.in_atomic_block:
        # Outside a transaction the change and its event could diverge: refuse loudly.
        raise RuntimeError("record_listing_event must run inside the change's transaction")
    event = events.listing_event(event_type, listing_id, version, document)
    row = OutboxEvent.objects.create(
        topic=settings.OUTBOX_LISTINGS_TOPIC,
        key=str(listing_id),
        event_type=event_type,
        payload=event,
    )
    notify_relay()
    return row


def record_event(*, topic: str, key: int | str, event: dict) -> OutboxEvent:
    """Store any other event (photos, orders, messages) for the relay; inside the change's
    transaction, like :func:`record_listing_event`.

    ``topic`` is one of ``mpcommon.events``' topics; the row names it with
    ``OUTBOX_TOPIC_PREFIX`` in front (empty in production; tests point it at topics of
    their own so nothing reaches the running stack's consumers).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("record_event must run inside the change's transaction")
    events.validate_event(topic, event)
    row = OutboxEvent.objects.create(
        topic=settings.OUTBOX_TOPIC_PREFIX + topic,
        key=str(key),
        event_type=event["type"],
        payload=event,
    )
    notify_relay()
    return row


def notify_relay() -> None:
    """Wake the relay (PostgreSQL queues the notification until commit)."""
    with connection.cursor() as cursor:
        cursor.execute(f"NOTIFY {NOTIFY_CHANNEL}")
