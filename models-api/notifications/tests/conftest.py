"""A real SMTP server per test (aiosmtpd in a thread of this process, on a free loopback
port), so the mailer's tests send over SMTP without depending on the stack's MailDev.

Django's test set-up swaps the email backend for the in-memory one; the fixtures here
put the SMTP backend back and point it at the test's server (or at a port that refuses).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from huey.contrib.djhuey import HUEY


@dataclass
class ReceivedMail:
    """What the SMTP server accepted: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class RecordingHandler:
    """aiosmtpd handler: keeps every message, or answers ``reply`` instead of 250."""

    received: list[ReceivedMail] = field(default_factory=list)
    reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.reply is not None:
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server on 127.0.0.1; Django's mail goes to it. Yields the handler
    (``.received``, and ``.reply`` to make it refuse messages)."""
    handler = RecordingHandler()
    # A generous ready timeout: the server thread may start slowly on a loaded machine.
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), ready_timeout=60)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_down(settings):
    """Django's mail goes to a loopback port that refuses connections: the socket is
    bound (so nothing else can take the port) but never listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = sock.getsockname()[1]
        yield


@pytest.fixture(autouse=True)
def _empty_huey():
    """Huey runs immediately in tests (settings_test) on an in-memory storage shared by
    the whole run: every test starts with no scheduled retries."""
    HUEY.storage.flush_all()
    yield
    HUEY.storage.flush_all()
