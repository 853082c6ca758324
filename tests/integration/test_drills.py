"""Failure drills: engines stopped and restarted under the running stack.

Each drill checks that what it stops did stop, restores it (in `finally`), and every
wait is bounded.
"""

from __future__ import annotations

import time

import pytest
import requests

from integration.helpers import start_program, stop_program
from integration.test_email import email_row, send_test_email
from testsupport import (
    create_listing,
    messages_to,
    signup,
    unique_address,
    unique_word,
    wait_until,
)

pytestmark = pytest.mark.integration


def _search_finds(api: str, word: str) -> bool:
    try:
        response = requests.get(f"{api}/search", params={"q": word}, timeout=5)
    except requests.RequestException:
        return False
    return response.status_code == 200 and any(
        word in result["title"] for result in response.json()["results"]
    )


def _listing(title: str) -> dict:
    return {"title": title, "description": "Drill listing, please ignore.", "price": "12.50"}


@pytest.fixture(scope="module")
def author(api):
    return signup(api, prefix="drill").token


class KafkaOutageTest:
    def test_listing_created_while_kafka_is_down_becomes_searchable_after_restart(
        self, api, author
    ):
        word = unique_word()
        stop_program("infra:kafka")
        try:
            create_listing(api, author, **_listing(f"Vintage {word} radio"))
            assert not _search_finds(api, word)
        finally:
            start_program("infra:kafka")
        wait_until(
            lambda: _search_finds(api, word),
            90,
            interval=1,
            message=f"listing '{word}' searchable after Kafka restart",
        )


class SearchOutageTest:
    def test_search_gives_503_json_while_home_keeps_working(self, api, public_url):
        stop_program("infra:search")
        try:
            search = requests.get(f"{api}/search", params={"q": "lamp"}, timeout=15)
            assert search.status_code == 503
            assert search.json()["error"] == "search_unavailable"
            assert requests.get(f"{api}/home", timeout=15).status_code == 200
            assert requests.get(f"{public_url}/", timeout=15).status_code == 200
            page = requests.get(f"{public_url}/search/", params={"q": "lamp"}, timeout=15)
            assert "unavailable" in page.text.lower()
        finally:
            start_program("infra:search")
        wait_until(
            lambda: (
                requests.get(f"{api}/search", params={"q": "lamp"}, timeout=5).status_code == 200
            ),
            90,
            interval=1,
            message="search back",
            ignoring=(requests.RequestException,),
        )

    def test_listing_created_while_search_is_down_becomes_searchable(self, api, author):
        word = unique_word()
        stop_program("infra:search")
        try:
            create_listing(api, author, **_listing(f"Antique {word} clock"))
        finally:
            start_program("infra:search")
        wait_until(
            lambda: _search_finds(api, word),
            90,
            interval=1,
            message=f"listing '{word}' searchable after the engine restart",
        )


class MailOutageTest:
    @pytest.mark.timeout(600)  # an outage, then up to a full retry wait and a sweep
    def test_email_written_while_maildev_is_down_is_delivered_once_after_restart(self, stack_env):
        address = unique_address("drill")
        stop_program("infra:mail")
        try:
            email_id = send_test_email(stack_env, address)
            # The mailer tries, SMTP refuses: the attempt is counted, nothing is sent.
            row = wait_until(
                lambda: (row := email_row(stack_env, email_id))["attempts"] >= 1 and row,
                120,
                interval=1,
                message=f"the mailer's first attempt at email {email_id}",
            )
            assert row["status"] == "pending"
            assert row["sent_at"] is None
            assert row["last_error"]
        finally:
            start_program("infra:mail")
        # The next retry comes within EMAIL_RETRY_MAX_DELAY_SECONDS (60 s on the stack),
        # the sweep within a minute of that: a generous deadline.
        retry_cap = int(stack_env.get("EMAIL_RETRY_MAX_DELAY_SECONDS", "300"))
        wait_until(
            lambda: len(messages_to(address)) >= 1,
            retry_cap + 180,
            interval=1,
            message=f"the email to {address} in MailDev after its restart",
            ignoring=(requests.RequestException,),
        )
        # Sent once: no duplicate shows up while the retry and the sweep come round.
        for _ in range(10):
            assert len(messages_to(address)) == 1
            time.sleep(0.5)
        assert email_row(stack_env, email_id)["status"] == "sent"
