"""Email through the running stack: a row written by models-api (``manage.py
send_test_email``), sent by the mailer (``apps:mailer``, Huey) over SMTP to MailDev
(``infra:mail``), read back from MailDev's REST API."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
import requests

from testsupport import mail_web_url, recipients, unique_address, wait_for_email, wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def send_test_email(stack_env: dict[str, str], to: str) -> str:
    """Write one operator test email with models-api's command; the email's id."""
    result = subprocess.run(
        [
            str(Path(stack_env["VENV"]) / "bin" / "python"),
            "manage.py",
            "send_test_email",
            "--to",
            to,
        ],
        cwd=ROOT / "models-api",
        env={**os.environ, **stack_env, "DJANGO_SECRET_KEY": stack_env["MODELS_SECRET_KEY"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


def email_row(stack_env: dict[str, str], email_id: str) -> dict:
    """The email's row in models-api's database (status, attempts, last_error, sent_at)."""
    with psycopg.connect(stack_env["DATABASE_URL"], connect_timeout=10) as connection:
        row = connection.execute(
            "SELECT status, attempts, last_error, sent_at, next_attempt_at"
            " FROM notifications_email WHERE id = %s",
            (email_id,),
        ).fetchone()
        columns = ["status", "attempts", "last_error", "sent_at", "next_attempt_at"]
    assert row is not None, f"no email {email_id}"
    return dict(zip(columns, row, strict=True))


class MailerTest:
    def test_test_email_is_delivered_to_maildev_and_marked_sent(self, stack_env):
        address = unique_address("mailer")

        email_id = send_test_email(stack_env, address)

        message = wait_for_email(address, subject_contains="Marketplace test email", timeout=120)
        assert recipients(message) == {address}
        assert message["headers"]["message-id"] == f"<{email_id}@marketplace.invalid>"
        assert [sender["address"] for sender in message["from"]] == ["no-reply@marketplace.invalid"]
        assert "the mail path works" in message["text"]
        row = wait_until(
            lambda: (row := email_row(stack_env, email_id))["status"] == "sent" and row,
            60,
            message=f"email {email_id} marked sent",
        )
        assert row["sent_at"] is not None

    def test_maildev_serves_its_web_page(self):
        page = requests.get(f"{mail_web_url()}/", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        health = requests.get(f"{mail_web_url()}/api/healthz", timeout=10)
        assert health.status_code == 200
