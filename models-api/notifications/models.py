"""Outgoing email, durable first (docs/accounts-and-notifications.md).

An email is a row written in the transaction that causes it; the mailer (Huey) sends
it and marks it sent in one transaction. ``dedupe_key`` makes "one email per cause"
a database rule (one alert per saved search and listing, one price-drop email per
listing version and user).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from mpcommon import account_rules


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # gave up after EMAIL_MAX_ATTEMPTS


class Email(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=[(k, k) for k in account_rules.EMAIL_KINDS])
    to_address = models.EmailField(max_length=account_rules.EMAIL_MAX_LENGTH)
    subject = models.CharField(max_length=account_rules.EMAIL_SUBJECT_MAX_LENGTH)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=account_rules.EMAIL_KINDS), name="notifications_email_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="notifications_email_status"
            ),
        ]
        indexes = [
            # The sweeper: pending rows whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notifications_email_due_idx",
            ),
            # The throttle: emails of a kind to an address in the last hour.
            models.Index(
                fields=["to_address", "kind", "-created_at"], name="notifications_email_rate_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Email {self.id} ({self.kind}) to {self.to_address}: {self.status}"

    @property
    def message_id(self) -> str:
        """The Message-ID header: the same on every attempt, so a duplicate is visible."""
        return f"<{self.id}@marketplace.invalid>"
