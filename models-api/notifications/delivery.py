"""Sending emails: Huey tasks run by the mailer (``python manage.py run_huey``).

The row in ``notifications_email`` is the truth; the queue only says "look at this row
now" (docs/accounts-and-notifications.md):

- :func:`enqueue` hands an id to :func:`send_email` and never raises: with Redis down the
  row simply waits for :func:`sweep_due_emails`.
- :func:`send_email` locks the row (``FOR UPDATE SKIP LOCKED``), sends a ``pending`` row
  whose ``next_attempt_at`` has come and marks it ``sent`` in the same transaction, so a
  duplicate task (a retry, the sweep, a redelivery) sends nothing.
- An SMTP failure counts the attempt, records the error and schedules the task again
  after :func:`retry_delay_seconds`; after ``EMAIL_MAX_ATTEMPTS`` the row is ``failed``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from notifications.models import Email, EmailStatus

logger = logging.getLogger(__name__)

RETRY_BASE_DELAY_SECONDS = 5
SWEEP_BATCH_SIZE = 500
LAST_ERROR_MAX_LENGTH = 500


def enqueue(email_id) -> None:
    """Hand ``email_id`` to the mailer; never raises (the sweep catches up)."""
    try:
        send_email(str(email_id))
    except Exception as exc:  # Redis down or refusing: the row waits for the sweep
        logger.warning(
            "email not enqueued, the sweep will send it",
            extra={"email_id": str(email_id), "error": str(exc)[:200]},
        )


def retry_delay_seconds(failed_attempts: int) -> int:
    """Seconds to wait after the ``failed_attempts``-th failure: 5, 10, 20, ... capped at
    ``EMAIL_RETRY_MAX_DELAY_SECONDS``."""
    exponent = min(max(failed_attempts - 1, 0), 30)  # no huge ints for a huge count
    return min(RETRY_BASE_DELAY_SECONDS * 2**exponent, settings.EMAIL_RETRY_MAX_DELAY_SECONDS)


def _build_message(email: Email) -> EmailMessage:
    return EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
        headers={"Message-ID": email.message_id},
    )


@db_task()
def send_email(email_id: str) -> None:
    """Send one email if it is still due; see the module docstring for the rules."""
    retry_in = None
    with transaction.atomic():
        email = Email.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            # Locked by another worker sending it right now (or deleted): nothing to do.
            logger.info("email locked elsewhere or gone, skipped", extra={"email_id": email_id})
            return
        now = timezone.now()
        if email.status != EmailStatus.PENDING or email.next_attempt_at > now:
            return  # already sent or failed, or a retry not yet due: a duplicate task
        email.attempts += 1
        try:
            _build_message(email).send(fail_silently=False)
        except Exception as exc:
            # Mostly OSError (smtplib.SMTPException is one, as are refused connections and
            # timeouts); anything else is recorded too, or the sweep would retry it forever.
            email.last_error = f"{type(exc).__name__}: {exc}"[:LAST_ERROR_MAX_LENGTH]
            if email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
                email.status = EmailStatus.FAILED
                logger.error(
                    "email failed, giving up",
                    extra={"email_id": email_id, "attempts": email.attempts, "error": str(exc)},
                )
            else:
                retry_in = retry_delay_seconds(email.attempts)
                email.next_attempt_at = now + timedelta(seconds=retry_in)
                logger.warning(
                    "email not sent, will retry",
                    extra={
                        "email_id": email_id,
                        "attempts": email.attempts,
                        "retry_in_s": retry_in,
                        "error": str(exc)[:200],
                    },
                )
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        else:
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.save(update_fields=["attempts", "status", "sent_at"])
            logger.info(
                "email sent",
                extra={"email_id": email_id, "kind": email.kind, "attempts": email.attempts},
            )
    if retry_in is not None:
        # After the commit, so the retry can never find the row still locked by us.
        _schedule_retry(email_id, retry_in)


def _schedule_retry(email_id: str, delay: int) -> None:
    try:
        send_email.schedule(args=(email_id,), delay=delay)
    except Exception as exc:  # Redis down: the sweep retries the row when it is due
        logger.warning(
            "email retry not scheduled, the sweep will retry it",
            extra={"email_id": email_id, "error": str(exc)[:200]},
        )


# Every minute: re-enqueue pending rows whose time has come. The safety net for ids that
# never reached the queue (Redis down at enqueue time) or that the queue lost: the
# stack's Redis runs with maxmemory-policy allkeys-lru, so under memory pressure even
# Huey's queue and schedule keys can be evicted. A row already queued gets a second
# task, which finds it sent (or not yet due) and does nothing.
@db_periodic_task(crontab(minute="*"))
def sweep_due_emails() -> int:
    """Enqueue every pending email that is due; how many were enqueued."""
    due = list(
        Email.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    for email_id in due:
        enqueue(email_id)
    if due:
        logger.info("due emails re-enqueued", extra={"count": len(due)})
    return len(due)


# Once a day (Huey's crontab is in UTC): the daily saved-search digests, when the alerts
# app (models-api/alerts, written separately) is there.
@db_periodic_task(crontab(hour="7", minute="0"))
def send_daily_digests() -> None:
    """Call ``alerts.services.send_daily_digests()`` if that module exists."""
    try:
        from alerts import services as alert_services
    except ModuleNotFoundError as exc:
        if exc.name not in ("alerts", "alerts.services"):
            raise  # alerts exists but one of its own imports is broken: say so
        logger.info("no alerts app, daily digests skipped")
        return
    alert_services.send_daily_digests()
