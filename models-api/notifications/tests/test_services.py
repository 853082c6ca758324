"""queue_email: written in the causing transaction, handed to the mailer after commit,
once per dedupe key, throttled per address and kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from mpcommon import account_rules
from notifications import services
from notifications.models import Email

pytestmark = pytest.mark.django_db

RESET = account_rules.EMAIL_PASSWORD_RESET


def queue(**overrides):
    fields = {"to": "ann@example.com", "subject": "Hi", "body": "Text", "kind": RESET}
    fields.update(overrides)
    with transaction.atomic():
        return services.queue_email(**fields)


class QueueEmailTest:
    def test_row_written_and_enqueued_after_commit(
        self, monkeypatch, django_capture_on_commit_callbacks
    ):
        enqueued = []
        monkeypatch.setattr("notifications.delivery.enqueue", enqueued.append)
        with django_capture_on_commit_callbacks(execute=True):
            email = queue()
        assert Email.objects.get().status == "pending"
        assert enqueued == [email.id]
        assert email.message_id == f"<{email.id}@marketplace.invalid>"

    def test_rolled_back_cause_leaves_no_email(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.queue_email(to="a@example.com", subject="s", body="b", kind=RESET)
            raise RuntimeError("the cause failed")
        assert not Email.objects.exists()

    @pytest.mark.django_db(transaction=True)
    def test_outside_a_transaction_is_refused(self):
        with pytest.raises(RuntimeError):
            services.queue_email(to="a@example.com", subject="s", body="b", kind=RESET)

    def test_unknown_kind_is_refused(self):
        with pytest.raises(ValueError):
            queue(kind="newsletter")

    def test_same_dedupe_key_writes_one(self):
        assert queue(kind=account_rules.EMAIL_PRICE_DROP, dedupe_key="k1") is not None
        assert queue(kind=account_rules.EMAIL_PRICE_DROP, dedupe_key="k1") is None
        assert Email.objects.count() == 1

    def test_reset_emails_are_throttled_per_address(self):
        for _ in range(account_rules.RESET_EMAILS_PER_HOUR):
            assert queue(to="Ann@Example.com") is not None
        assert queue(to="ann@example.com") is None
        assert queue(to="other@example.com") is not None  # per address
        assert queue(kind=account_rules.EMAIL_PASSWORD_CHANGED) is not None  # per kind

    def test_the_throttle_window_is_an_hour(self):
        for _ in range(account_rules.RESET_EMAILS_PER_HOUR):
            queue()
        Email.objects.update(created_at=timezone.now() - timedelta(minutes=61))
        assert queue() is not None
