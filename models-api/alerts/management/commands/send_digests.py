"""python manage.py send_digests: write today's saved-search digest emails now (the
mailer's daily periodic task does the same)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from alerts.services import send_daily_digests


class Command(BaseCommand):
    help = "Write one digest email per saved search with pending matches (once per day)."

    def handle(self, *args, **options):
        written = send_daily_digests()
        self.stdout.write(f"digests written: {written}")
