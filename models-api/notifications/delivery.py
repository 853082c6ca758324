"""Sending emails: Huey tasks run by the mailer (``python manage.py run_huey``).

PLACEHOLDER until the mailer lands: :func:`enqueue` hands an email id to the queue.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def enqueue(email_id) -> None:
    """Hand ``email_id`` to the mailer; never raises (the sweep catches up)."""
    logger.info("email waiting for the mailer", extra={"email_id": str(email_id)})
