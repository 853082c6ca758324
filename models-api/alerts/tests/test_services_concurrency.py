"""The saved-search cap on committed data with several connections: two saves for a
user one below the cap arrive together, both wait on the user's row lock, exactly one
is saved and the other refused."""

from __future__ import annotations

import pytest
from model_bakery import baker

from alerts import services
from alerts.models import SavedSearch
from conftest import race_on_row_lock
from core.errors import ValidationFailed
from mpcommon import account_rules


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

        race_on_row_lock(
            "accounts_user", user.id, [lambda q=query: save(q) for query in ("lamp", "sofa")]
        )
        assert sorted(map(str, outcomes)) == sorted(
            ["saved", str({"non_field_errors": [account_rules.MESSAGE_TOO_MANY_SAVED_SEARCHES]})]
        )
        assert SavedSearch.objects.filter(user=user).count() == account_rules.MAX_SAVED_SEARCHES
