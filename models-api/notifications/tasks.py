"""The mailer's Huey tasks, where ``manage.py run_huey`` looks for them: the consumer
imports every installed app's ``tasks`` module (a task it has not imported is dropped
from the queue as unknown). They are written in :mod:`notifications.delivery`."""

from notifications.delivery import send_daily_digests, send_email, sweep_due_emails

__all__ = ["send_daily_digests", "send_email", "sweep_due_emails"]
