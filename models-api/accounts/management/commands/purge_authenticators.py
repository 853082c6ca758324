"""``python manage.py purge_authenticators [--every SECONDS]``: delete expired authenticators."""

from __future__ import annotations

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from accounts.services import purge_expired_authenticators

logger = logging.getLogger("accounts.purge")


class Command(BaseCommand):
    help = "Delete expired authenticators once, or every N seconds with --every."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Keep running and purge every SECONDS (run by supervisord).",
        )

    def handle(self, *args, every=None, **options):
        if every is None:
            deleted = purge_expired_authenticators()
            logger.info("purged expired authenticators", extra={"count": deleted})
            self.stdout.write(f"deleted {deleted} expired authenticators")
            return
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.purge_loop(every=every, stop=stop)

    def purge_loop(self, *, every: float, stop: threading.Event) -> None:
        """Purge, then sleep ``every`` seconds, until ``stop`` is set (SIGTERM)."""
        logger.info("authenticator purge loop started", extra={"every_s": every})
        while not stop.is_set():
            try:
                close_old_connections()
                deleted = purge_expired_authenticators()
                logger.info("purged expired authenticators", extra={"count": deleted})
            except DatabaseError as exc:
                # The database being briefly down is no reason to exit; try next round.
                logger.warning("purge failed, will retry", extra={"error": str(exc)})
            stop.wait(every)
        logger.info("authenticator purge loop stopped")
