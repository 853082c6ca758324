"""``python manage.py send_test_email --to ADDRESS``: write one operator test email.

Operators use it to check the whole mail path (row -> Huey on Redis -> the mailer ->
SMTP); the failure drill in tests/integration uses it too. The email goes through
:func:`notifications.services.queue_email` like every other one, so it is durable first
and enqueued after the commit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from mpcommon import account_rules
from notifications.services import queue_email


class Command(BaseCommand):
    help = "Write one test email to ADDRESS; the mailer sends it (check it in MailDev)."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, metavar="ADDRESS", help="recipient")

    def handle(self, *args, to: str, **options):
        try:
            validate_email(to)
        except ValidationError as exc:
            raise CommandError(f"not an email address: {to!r}") from exc
        written_at = timezone.now().isoformat(timespec="seconds")
        with transaction.atomic():
            email = queue_email(
                to=to,
                subject="Marketplace test email",
                body=(
                    "This is a test email from the marketplace's mailer "
                    f"(manage.py send_test_email, written {written_at}).\n"
                    "If you can read it, the mail path works.\n"
                ),
                kind=account_rules.EMAIL_OPERATOR_TEST,
            )
        if email is None:  # operator_test is neither throttled nor deduplicated
            raise CommandError("no email was written")
        self.stdout.write(str(email.id))
