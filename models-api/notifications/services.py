"""Writing emails: the only way any code path sends one (docs/accounts-and-notifications.md).

:func:`queue_email` writes the row inside the caller's transaction and, once that
commits, hands its id to the mailer (:func:`notifications.delivery.enqueue`, Huey on
Redis). If Redis is down the row waits: the mailer's periodic sweep finds it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from mpcommon import account_rules
from notifications.models import Email

logger = logging.getLogger(__name__)

# kind -> emails per address and hour; kinds not listed are not throttled.
HOURLY_LIMITS = {
    account_rules.EMAIL_PASSWORD_RESET: account_rules.RESET_EMAILS_PER_HOUR,
    account_rules.EMAIL_SAVED_SEARCH_ALERT: account_rules.ALERT_EMAILS_PER_HOUR,
    account_rules.EMAIL_PRICE_DROP: account_rules.ALERT_EMAILS_PER_HOUR,
}


def throttled(to_address: str, kind: str) -> bool:
    """Whether ``to_address`` already had its hourly share of ``kind`` emails."""
    limit = HOURLY_LIMITS.get(kind)
    if limit is None:
        return False
    since = timezone.now() - timedelta(hours=1)
    sent = Email.objects.filter(to_address__iexact=to_address, kind=kind, created_at__gte=since)
    return sent.count() >= limit


def queue_email(
    *, to: str, subject: str, body: str, kind: str, dedupe_key: str | None = None
) -> Email | None:
    """Write an email to send (call inside the causing transaction); the row, or None
    when nothing was written: throttled, or ``dedupe_key`` already used."""
    if not connection.in_atomic_block:
        raise RuntimeError("queue_email must run inside the causing transaction")
    if kind not in account_rules.EMAIL_KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    if throttled(to, kind):
        logger.warning("email throttled", extra={"kind": kind})
        return None
    if dedupe_key is not None and Email.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent duplicate loses quietly
            email = Email.objects.create(
                to_address=to,
                subject=subject[: account_rules.EMAIL_SUBJECT_MAX_LENGTH],
                body=body,
                kind=kind,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    transaction.on_commit(lambda: _enqueue(email.id))
    logger.info("email queued", extra={"email_id": str(email.id), "kind": kind})
    return email


def _enqueue(email_id) -> None:
    from notifications.delivery import enqueue

    enqueue(email_id)
