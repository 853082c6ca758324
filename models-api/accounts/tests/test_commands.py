from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from model_bakery import baker

from accounts.management.commands.purge_authenticators import Command
from accounts.models import Authenticator


@pytest.fixture
def tokens(user):
    expired = baker.make(Authenticator, owner=user, expires_at=timezone.now() - timedelta(hours=1))
    live = baker.make(Authenticator, owner=user, expires_at=timezone.now() + timedelta(days=1))
    return expired, live


@pytest.mark.django_db
class PurgeAuthenticatorsTest:
    def test_once_deletes_only_expired(self, tokens):
        expired, live = tokens
        out = StringIO()
        call_command("purge_authenticators", stdout=out)
        assert "deleted 1 expired" in out.getvalue()
        assert not Authenticator.objects.filter(pk=expired.pk).exists()
        assert Authenticator.objects.filter(pk=live.pk).exists()

    def test_loop_purges_each_round_until_stopped(self, tokens, monkeypatch):
        # close_old_connections would close the test's transaction-bound connection.
        monkeypatch.setattr(
            "accounts.management.commands.purge_authenticators.close_old_connections", lambda: None
        )
        stop = threading.Event()
        rounds = []
        original = Authenticator.objects.filter

        def purge_and_count(**kwargs):
            from accounts.services import purge_expired_authenticators

            rounds.append(1)
            if len(rounds) == 2:
                stop.set()
            return purge_expired_authenticators(**kwargs)

        monkeypatch.setattr(
            "accounts.management.commands.purge_authenticators.purge_expired_authenticators",
            purge_and_count,
        )
        Command().purge_loop(every=0.001, stop=stop)
        assert len(rounds) == 2
        assert original(pk=tokens[0].pk).count() == 0

    def test_every_must_be_positive(self):
        with pytest.raises(CommandError):
            call_command("purge_authenticators", "--every", "0")
