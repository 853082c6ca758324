"""The mailer's tasks against a real SMTP server (conftest.smtp_server): sent once and
marked sent, backoff on SMTP failures, failed after the last attempt, the sweep, the
row lock, and a queue that is down. Huey runs tasks inline here (settings_test)."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import types
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from mpcommon import account_rules
from notifications import delivery, services
from notifications.models import Email, EmailStatus

pytestmark = pytest.mark.django_db

OPERATOR_TEST = account_rules.EMAIL_OPERATOR_TEST


def an_email(**fields) -> Email:
    """A pending email row, written directly (no enqueue on commit)."""
    values = {
        "kind": OPERATOR_TEST,
        "to_address": "ann@example.com",
        "subject": "Your listing",
        "body": "Someone saved it.\nhttp://127.0.0.1:8000/listings/1/\n",
    }
    values.update(fields)
    return Email.objects.create(**values)


def scheduled_retries() -> list[tuple[tuple, datetime]]:
    """(args, eta) of the send_email tasks waiting in Huey's schedule."""
    return [(task.args, task.eta) for task in HUEY.scheduled() if task.name.endswith("send_email")]


class SendEmailTest:
    def test_pending_email_is_sent_over_smtp_and_marked_sent(self, smtp_server):
        email = an_email()

        delivery.send_email(str(email.id))

        [mail] = smtp_server.received
        assert mail.rcpt_tos == ["ann@example.com"]
        assert mail.message["To"] == "ann@example.com"
        assert mail.message["From"] == settings.DEFAULT_FROM_EMAIL
        assert mail.message["Subject"] == "Your listing"
        assert mail.message["Message-ID"] == f"<{email.id}@marketplace.invalid>"
        assert "http://127.0.0.1:8000/listings/1/" in mail.message.get_content()
        email.refresh_from_db()
        assert email.status == EmailStatus.SENT
        assert email.sent_at is not None
        assert email.attempts == 1
        assert email.last_error == ""

    def test_task_run_twice_sends_once(self, smtp_server):
        email = an_email()

        delivery.send_email(str(email.id))
        delivery.send_email(str(email.id))
        delivery.enqueue(email.id)  # a duplicate enqueue (the sweep, a redelivery)

        assert len(smtp_server.received) == 1
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.SENT, 1)

    def test_email_not_yet_due_is_not_sent(self, smtp_server):
        email = an_email(next_attempt_at=timezone.now() + timedelta(minutes=5))

        delivery.send_email(str(email.id))

        assert smtp_server.received == []
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.PENDING, 0)

    def test_failed_email_is_not_sent_again(self, smtp_server):
        email = an_email(status=EmailStatus.FAILED, attempts=settings.EMAIL_MAX_ATTEMPTS)

        delivery.send_email(str(email.id))

        assert smtp_server.received == []

    def test_unknown_id_does_nothing(self, smtp_server):
        delivery.send_email("00000000-0000-0000-0000-000000000000")
        assert smtp_server.received == []

    def test_queued_email_is_sent_after_the_causing_commit(
        self, smtp_server, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            email = services.queue_email(
                to="bob@example.com", subject="Hello", body="Body", kind=OPERATOR_TEST
            )
            assert smtp_server.received == []  # nothing leaves before the commit

        assert [mail.rcpt_tos for mail in smtp_server.received] == [["bob@example.com"]]
        email.refresh_from_db()
        assert email.status == EmailStatus.SENT


class SmtpFailureTest:
    def test_smtp_down_records_the_attempt_and_schedules_a_retry(self, smtp_down):
        email = an_email()
        before = timezone.now()

        delivery.send_email(str(email.id))

        after = timezone.now()
        email.refresh_from_db()
        assert email.status == EmailStatus.PENDING
        assert email.sent_at is None
        assert email.attempts == 1
        assert "Connection" in email.last_error or "refused" in email.last_error.lower()
        first_delay = timedelta(seconds=delivery.RETRY_BASE_DELAY_SECONDS)
        assert before + first_delay <= email.next_attempt_at <= after + first_delay
        [(args, eta)] = scheduled_retries()
        assert args == (str(email.id),)
        assert eta is not None

    def test_each_failure_doubles_the_wait(self, smtp_down):
        email = an_email(attempts=3)
        before = timezone.now()

        delivery.send_email(str(email.id))

        email.refresh_from_db()
        assert email.attempts == 4
        delay = timedelta(seconds=delivery.RETRY_BASE_DELAY_SECONDS * 2**3)
        assert email.next_attempt_at >= before + delay

    def test_smtp_server_refusing_the_message_is_retried(self, smtp_server):
        smtp_server.reply = "451 4.3.0 Try again later"
        email = an_email()

        delivery.send_email(str(email.id))

        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)
        assert "451" in email.last_error
        assert len(scheduled_retries()) == 1

        # The retry, once due, goes through when the server accepts again.
        smtp_server.reply = None
        Email.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        delivery.send_email(str(email.id))
        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
        assert len(smtp_server.received) == 1

    def test_last_error_is_cut_to_the_column(self, smtp_server):
        smtp_server.reply = "451 " + "x" * 900
        email = an_email()

        delivery.send_email(str(email.id))

        email.refresh_from_db()
        assert 0 < len(email.last_error) <= 500

    def test_after_the_last_attempt_the_email_is_failed(self, smtp_down, caplog):
        email = an_email(attempts=settings.EMAIL_MAX_ATTEMPTS - 1)

        with caplog.at_level(logging.ERROR, logger="notifications.delivery"):
            delivery.send_email(str(email.id))

        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.FAILED, settings.EMAIL_MAX_ATTEMPTS)
        assert email.sent_at is None
        assert email.last_error
        assert scheduled_retries() == []
        assert any(
            record.levelno == logging.ERROR and record.email_id == str(email.id)
            for record in caplog.records
        )

    def test_a_retry_that_cannot_be_scheduled_is_only_logged(self, smtp_down, monkeypatch):
        def queue_down(*args, **kwargs):
            raise ConnectionError("Redis is down")

        monkeypatch.setattr(delivery.send_email, "schedule", queue_down)
        email = an_email()

        delivery.send_email(str(email.id))  # does not raise

        email.refresh_from_db()
        assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)


class RetryDelayTest:
    def test_doubles_from_five_seconds(self):
        assert [delivery.retry_delay_seconds(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]

    def test_is_capped(self, settings):
        settings.EMAIL_RETRY_MAX_DELAY_SECONDS = 300
        assert delivery.retry_delay_seconds(7) == 300
        assert delivery.retry_delay_seconds(10_000) == 300


class RowLockTest:
    @pytest.mark.django_db(transaction=True)
    def test_row_locked_by_another_worker_is_skipped(self, smtp_server):
        email = an_email()
        locked, release = threading.Event(), threading.Event()

        def other_worker():
            try:
                with transaction.atomic():
                    Email.objects.select_for_update().get(pk=email.pk)
                    locked.set()
                    release.wait(60)
            finally:
                connections.close_all()

        worker = threading.Thread(target=other_worker)
        worker.start()
        try:
            assert locked.wait(60), "the other worker never locked the row"
            delivery.send_email(str(email.id))  # returns at once: SKIP LOCKED
            assert smtp_server.received == []
            email.refresh_from_db()
            assert (email.status, email.attempts) == (EmailStatus.PENDING, 0)
        finally:
            release.set()
            worker.join(60)

        delivery.send_email(str(email.id))
        assert len(smtp_server.received) == 1


class EnqueueTest:
    def test_queue_down_is_logged_and_the_sweep_sends_later(self, smtp_server, monkeypatch, caplog):
        email = an_email()
        with socket.socket() as refusing, monkeypatch.context() as patch:
            refusing.bind(("127.0.0.1", 0))
            port = refusing.getsockname()[1]
            # Huey on a Redis that refuses connections, as when the stack's Redis is down.
            patch.setattr(HUEY, "_immediate", False)
            patch.setattr(HUEY, "storage", RedisStorage("test-down", port=port))
            with caplog.at_level(logging.WARNING, logger="notifications.delivery"):
                delivery.enqueue(email.id)  # does not raise
        assert any("not enqueued" in record.getMessage() for record in caplog.records)
        assert smtp_server.received == []

        assert delivery.sweep_due_emails.call_local() == 1

        assert len(smtp_server.received) == 1
        email.refresh_from_db()
        assert email.status == EmailStatus.SENT


class SweepTest:
    def test_only_due_pending_rows_are_sent(self, smtp_server):
        due = an_email(to_address="due@example.com")
        an_email(to_address="later@example.com", next_attempt_at=timezone.now() + timedelta(1))
        an_email(to_address="sent@example.com", status=EmailStatus.SENT)
        an_email(to_address="failed@example.com", status=EmailStatus.FAILED)

        assert delivery.sweep_due_emails.call_local() == 1

        assert [mail.rcpt_tos for mail in smtp_server.received] == [["due@example.com"]]
        due.refresh_from_db()
        assert due.status == EmailStatus.SENT

    def test_nothing_due_sends_nothing(self, smtp_server):
        assert delivery.sweep_due_emails.call_local() == 0
        assert smtp_server.received == []


class ConsumerDiscoveryTest:
    def test_run_huey_finds_the_tasks(self):
        # run_huey imports each installed app's `tasks` module, nothing else.
        sys.modules.pop("notifications.tasks", None)
        autodiscover_modules("tasks")
        tasks = sys.modules["notifications.tasks"]
        assert {tasks.send_email, tasks.sweep_due_emails, tasks.send_daily_digests} == {
            delivery.send_email,
            delivery.sweep_due_emails,
            delivery.send_daily_digests,
        }


class PeriodicScheduleTest:
    def test_the_sweep_runs_every_minute_and_the_digests_at_seven_utc(self):
        def names_at(hour, minute):
            moment = datetime(2026, 3, 4, hour, minute)  # Huey's clock: naive UTC
            return {task.name.rsplit(".", 1)[-1] for task in HUEY.read_periodic(moment)}

        assert {"sweep_due_emails", "send_daily_digests"} <= names_at(7, 0)
        assert "send_daily_digests" not in names_at(7, 1)
        assert "sweep_due_emails" in names_at(13, 37)


class DailyDigestTest:
    def test_without_the_alerts_app_it_is_skipped_quietly(self, monkeypatch, caplog):
        monkeypatch.setitem(sys.modules, "alerts", None)  # makes `import alerts` fail
        with caplog.at_level(logging.INFO, logger="notifications.delivery"):
            delivery.send_daily_digests.call_local()
        assert any("digests skipped" in record.getMessage() for record in caplog.records)

    def test_with_the_alerts_app_it_sends_the_digests(self, monkeypatch):
        calls = []
        alerts = types.ModuleType("alerts")
        alerts.services = types.ModuleType("alerts.services")
        alerts.services.send_daily_digests = lambda: calls.append("sent")
        monkeypatch.setitem(sys.modules, "alerts", alerts)
        monkeypatch.setitem(sys.modules, "alerts.services", alerts.services)

        delivery.send_daily_digests.call_local()

        assert calls == ["sent"]


class SendTestEmailCommandTest:
    def test_writes_one_operator_test_email(self, capsys):
        call_command("send_test_email", "--to", "ops@example.com")

        email = Email.objects.get()
        assert (email.kind, email.to_address, email.status) == (
            OPERATOR_TEST,
            "ops@example.com",
            EmailStatus.PENDING,
        )
        assert capsys.readouterr().out.strip() == str(email.id)

    def test_the_email_reaches_the_smtp_server(
        self, smtp_server, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_test_email", "--to", "ops@example.com")

        [mail] = smtp_server.received
        assert mail.rcpt_tos == ["ops@example.com"]
        assert mail.message["Subject"] == "Marketplace test email"

    def test_not_an_address_is_refused(self):
        with pytest.raises(CommandError):
            call_command("send_test_email", "--to", "not-an-address")
        assert not Email.objects.exists()
