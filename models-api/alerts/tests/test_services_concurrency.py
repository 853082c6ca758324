"""The saved-search cap on committed data with several connections: two saves for a
user one below the cap arrive together, both wait on the user's row lock, exactly one
is saved and the other refused."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from model_bakery import baker

from alerts import services
from alerts.models import SavedSearch
from core.errors import ValidationFailed
from mpcommon import account_rules

WAIT_LIMIT_S = 30


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
class ConcurrentSaveTest:
    def test_two_saves_racing_past_the_cap_one_wins(self):
        user = baker.make("accounts.User", username="racer", email="r@example.com")
        for n in range(account_rules.MAX_SAVED_SEARCHES - 1):
            baker.make(SavedSearch, user=user, query=f"thing {n}")
        outcomes: list[object] = []

        def save(query: str) -> None:
            try:
                services.create_saved_search(user=user, query=query, filters={})
                outcomes.append("saved")
            except ValidationFailed as exc:
                outcomes.append(exc.fields)
            finally:
                connections.close_all()

        blocker = connections.create_connection("default")
        try:
            blocker.set_autocommit(False)
            with blocker.cursor() as cursor:
                cursor.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [user.id])
            workers = [threading.Thread(target=save, args=(q,)) for q in ("lamp", "sofa")]
            for worker in workers:
                worker.start()
            deadline = time.monotonic() + WAIT_LIMIT_S
            while _waiting_on_locks() < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _waiting_on_locks() == 2
            blocker.rollback()
        finally:
            blocker.close()
        for worker in workers:
            worker.join(WAIT_LIMIT_S)
        assert sorted(map(str, outcomes)) == sorted(
            ["saved", str({"non_field_errors": [account_rules.MESSAGE_TOO_MANY_SAVED_SEARCHES]})]
        )
        assert SavedSearch.objects.filter(user=user).count() == account_rules.MAX_SAVED_SEARCHES
