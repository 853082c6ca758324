"""What the stack sent: a small client of MailDev's REST API (MailDev 3: ``/api/email``).

The mailer delivers every email to MailDev (``infra:mail``), which keeps it; tests read
it back here: the messages, the ones to an address, a wait for one to arrive, and the
link in a message's text (a password-reset link, a listing in an alert).
"""

from __future__ import annotations

import re
import uuid

import requests

from testsupport.settings import mail_web_url
from testsupport.waiting import wait_until

URL_RE = re.compile(r"https?://[^\s<>\"')\]]+")


def list_messages(*, base_url: str | None = None, timeout: float = 10) -> list[dict]:
    """Every message MailDev holds, oldest first (``GET /api/email``)."""
    response = requests.get(f"{base_url or mail_web_url()}/api/email", timeout=timeout)
    response.raise_for_status()
    return response.json()


def recipients(message: dict) -> set[str]:
    """The addresses a message went to (envelope and ``To``), lower-cased."""
    addresses = [entry.get("address", "") for entry in message.get("to") or []]
    addresses += [entry.get("address", "") for entry in message.get("envelope", {}).get("to", [])]
    return {address.lower() for address in addresses if address}


def messages_to(
    to_address: str, *, subject_contains: str | None = None, base_url: str | None = None
) -> list[dict]:
    """The messages to ``to_address`` (whose subject contains ``subject_contains``)."""
    wanted = to_address.lower()
    return [
        message
        for message in list_messages(base_url=base_url)
        if wanted in recipients(message)
        and (subject_contains is None or subject_contains in (message.get("subject") or ""))
    ]


def wait_for_email(
    to_address: str,
    *,
    subject_contains: str | None = None,
    timeout: float = 60,
    base_url: str | None = None,
) -> dict:
    """Wait until a message to ``to_address`` has arrived; the newest such message.
    MailDev being briefly unreachable counts as "not yet"."""
    found = wait_until(
        lambda: messages_to(to_address, subject_contains=subject_contains, base_url=base_url),
        timeout,
        interval=0.5,
        message=f"an email to {to_address}"
        + (f" with {subject_contains!r} in its subject" if subject_contains else ""),
        ignoring=(requests.RequestException,),
    )
    return found[-1]


def link_in(message: dict, *, starting_with: str | None = None) -> str:
    """The first link in the message's text body (the first starting with
    ``starting_with``, e.g. ``http://127.0.0.1:8000/password-reset/``)."""
    text = message.get("text") or ""
    for url in URL_RE.findall(text):
        url = url.rstrip(".,;:!?")
        if starting_with is None or url.startswith(starting_with):
            return url
    raise AssertionError(
        f"no link{f' starting with {starting_with}' if starting_with else ''} "
        f"in the email {message.get('subject')!r}: {text[:500]!r}"
    )


def unique_address(prefix: str = "mail") -> str:
    """An address no other test or run uses (``example.com``: reserved, never delivered)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
