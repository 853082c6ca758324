"""The transactional outbox: events committed with the data they describe."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxEvent(models.Model):
    """One event to publish to Kafka.

    Written in the same transaction as the change it describes, so an acknowledged
    change always has its event; the relay publishes rows in ``id`` order and sets
    ``sent_at`` only after the broker acknowledged the message.
    """

    topic = models.CharField(max_length=100)
    key = models.CharField(max_length=100)
    event_type = models.CharField(max_length=50)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            # The relay's query: WHERE sent_at IS NULL ORDER BY id (stays tiny once caught up).
            models.Index(
                fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx"
            ),
            models.Index(fields=["sent_at"], name="outbox_sent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"OutboxEvent {self.pk} {self.event_type} key={self.key}"
