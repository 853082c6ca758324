"""Changing a password, and resetting a forgotten one by an emailed link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from model_bakery import baker

from accounts.models import Authenticator, User
from conftest import auth
from mpcommon import account_rules
from notifications.models import Email

OLD_PASSWORD = "Old-horse-battery-41"
NEW_PASSWORD = "New-staple-lantern-72"
TOKEN_IN_LINK = re.compile(re.escape(settings.PUBLIC_URL) + r"/password-reset/([^/\s]+)/")
INVALID = [account_rules.MESSAGE_RESET_TOKEN_INVALID]


@pytest.fixture
def member(db) -> User:
    return User.objects.create_user("dora", "Dora@Example.com", OLD_PASSWORD, display_name="Dora")


def change(client, headers, old=OLD_PASSWORD, new=NEW_PASSWORD, **extra):
    body = {"old_password": old, "new_password": new, **extra}
    return client.post("/api/v1/password", body, format="json", **headers)


def request_reset(client, email):
    return client.post("/api/v1/password-resets", {"email": email}, format="json")


def reset_token(client, member) -> str:
    """The token of the link in the reset email ``member`` gets."""
    assert request_reset(client, member.email).status_code == 202
    email = Email.objects.filter(kind=account_rules.EMAIL_PASSWORD_RESET).latest("created_at")
    return TOKEN_IN_LINK.search(email.body).group(1)


def check(client, token):
    return client.post("/api/v1/password-resets/check", {"token": token}, format="json")


def confirm(client, token, new=NEW_PASSWORD):
    body = {"token": token, "new_password": new}
    return client.post("/api/v1/password-resets/confirm", body, format="json")


def hours_later(monkeypatch, seconds: int) -> None:
    """Django's token generator sees the clock ``seconds`` ahead."""
    ahead = datetime.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(default_token_generator, "_now", lambda: ahead)


@pytest.mark.django_db
class PasswordChangeApiTest:
    def test_change_sets_password_revokes_other_sessions_and_emails(self, api_client, member):
        current, *others = baker.make(Authenticator, owner=member, _quantity=3)
        strangers = baker.make(Authenticator, owner=baker.make(User, username="eve"))
        response = change(api_client, auth(current))
        assert response.status_code == 200, response.content
        assert response.json() == {"revoked": 2}
        member.refresh_from_db()
        assert member.check_password(NEW_PASSWORD)
        assert list(Authenticator.objects.filter(owner=member)) == [current]
        assert Authenticator.objects.filter(pk=strangers.pk).exists()
        email = Email.objects.get()
        assert (email.kind, email.to_address) == (
            account_rules.EMAIL_PASSWORD_CHANGED,
            "Dora@example.com",
        )
        assert "dora" in email.body and f"{settings.PUBLIC_URL}/password-reset/" in email.body
        assert NEW_PASSWORD not in email.body

    def test_only_session_revokes_nothing(self, api_client, member):
        current = baker.make(Authenticator, owner=member)
        assert change(api_client, auth(current)).json() == {"revoked": 0}

    def test_wrong_old_password_is_400_and_changes_nothing(self, api_client, member):
        current, other = baker.make(Authenticator, owner=member, _quantity=2)
        response = change(api_client, auth(current), old="not-my-password")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "old_password": [account_rules.MESSAGE_OLD_PASSWORD_WRONG]
        }
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)
        assert Authenticator.objects.filter(owner=member).count() == 2
        assert not Email.objects.exists()

    @pytest.mark.parametrize(
        ("new", "message"),
        [
            ("short", "This password is too short. It must contain at least 8 characters."),
            ("password123", "This password is too common."),
            ("9876543210123", "This password is entirely numeric."),
            ("dora@example", "The password is too similar to the email."),
            ("Dora@example.com", "The password is too similar to the email."),
        ],
    )
    def test_new_password_against_the_rules_is_400(self, api_client, member, new, message):
        response = change(api_client, auth(baker.make(Authenticator, owner=member)), new=new)
        assert response.status_code == 400
        assert message in response.json()["fields"]["new_password"]
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)
        assert not Email.objects.exists()

    def test_both_problems_reported_at_once(self, api_client, member):
        response = change(api_client, auth(baker.make(Authenticator, owner=member)), "x", "1")
        assert set(response.json()["fields"]) == {"old_password", "new_password"}

    @pytest.mark.parametrize(
        "body",
        [
            {"new_password": NEW_PASSWORD},
            {"old_password": OLD_PASSWORD},
            {"old_password": OLD_PASSWORD, "new_password": 12345678},
        ],
    )
    def test_missing_or_wrong_type_is_400(self, api_client, member, body):
        headers = auth(baker.make(Authenticator, owner=member))
        response = api_client.post("/api/v1/password", body, format="json", **headers)
        assert response.status_code == 400

    def test_unknown_field_is_400(self, api_client, member):
        headers = auth(baker.make(Authenticator, owner=member))
        response = change(api_client, headers, new_password2=NEW_PASSWORD)
        assert response.json()["fields"] == {"new_password2": ["Unknown field."]}
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)

    def test_without_authenticator_is_401(self, api_client, member):
        assert change(api_client, {}).status_code == 401
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)

    def test_the_kept_authenticator_still_works_and_the_new_password_logs_in(
        self, api_client, member
    ):
        current = baker.make(Authenticator, owner=member)
        change(api_client, auth(current))
        resolve = api_client.post(
            "/api/v1/authenticators/resolve", {"token": current.token}, format="json"
        )
        assert resolve.status_code == 200
        login = api_client.post(
            "/api/v1/authenticators",
            {"username": "dora", "password": NEW_PASSWORD},
            format="json",
        )
        assert login.status_code == 201


@pytest.mark.django_db
class PasswordResetRequestApiTest:
    def test_known_address_gets_one_email_with_a_link_and_the_username(self, api_client, member):
        response = request_reset(api_client, "dora@EXAMPLE.com")
        assert response.status_code == 202
        assert response.json() == {}
        email = Email.objects.get()
        assert (email.kind, email.to_address) == (
            account_rules.EMAIL_PASSWORD_RESET,
            "Dora@example.com",
        )
        assert '"dora"' in email.body
        token = TOKEN_IN_LINK.search(email.body).group(1)
        uidb64, separator, _ = token.partition(account_rules.RESET_TOKEN_SEPARATOR)
        assert separator and uidb64
        assert check(api_client, token).json() == {"username": "dora"}

    def test_unknown_address_is_the_same_202_and_sends_nothing(self, api_client, member):
        response = request_reset(api_client, "nobody@example.com")
        assert (response.status_code, response.json()) == (202, {})
        assert not Email.objects.exists()

    def test_inactive_user_gets_nothing(self, api_client, member):
        User.objects.filter(pk=member.pk).update(is_active=False)
        assert request_reset(api_client, member.email).status_code == 202
        assert not Email.objects.exists()

    def test_each_account_of_a_shared_address_gets_its_own_link(self, api_client, member):
        User.objects.create_user("dora2", "dora@example.com", OLD_PASSWORD)
        request_reset(api_client, "dora@example.com")
        links = [TOKEN_IN_LINK.search(e.body).group(1) for e in Email.objects.order_by("body")]
        assert sorted(check(api_client, t).json()["username"] for t in links) == ["dora", "dora2"]

    def test_throttled_after_the_hourly_limit_with_the_same_answer(self, api_client, member):
        answers = [request_reset(api_client, member.email) for _ in range(5)]
        assert {(a.status_code, a.content) for a in answers} == {(202, b"{}")}
        assert Email.objects.count() == account_rules.RESET_EMAILS_PER_HOUR

    @pytest.mark.parametrize("body", [{}, {"email": "not-an-address"}, {"email": 5}])
    def test_malformed_address_is_400(self, api_client, body):
        response = api_client.post("/api/v1/password-resets", body, format="json")
        assert response.status_code == 400
        assert "email" in response.json()["fields"]

    def test_without_service_token_is_401(self, anonymous_client, member):
        assert request_reset(anonymous_client, member.email).status_code == 401
        assert not Email.objects.exists()


@pytest.mark.django_db
class PasswordResetCheckApiTest:
    def test_fresh_token_names_the_user(self, api_client, member):
        response = check(api_client, reset_token(api_client, member))
        assert (response.status_code, response.json()) == (200, {"username": "dora"})

    def test_checking_does_not_use_the_token_up(self, api_client, member):
        token = reset_token(api_client, member)
        check(api_client, token)
        assert confirm(api_client, token).status_code == 200

    @pytest.mark.parametrize(
        "garbled",
        [
            "nonsense",
            ".",
            "MQ.",
            ".abc-123",
            "!!!.abc-123",
            "MQ.bad-token",
            "OTk5OTk5.cfx1ab-0123456789abcdef",  # user 999999
            "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5.x-y",  # beyond a bigint
            "w4k.x-y",  # not ASCII digits
        ],
    )
    def test_garbled_token_is_400_token(self, api_client, member, garbled):
        response = check(api_client, garbled)
        assert response.status_code == 400
        assert response.json()["fields"] == {"token": INVALID}

    def test_token_with_another_users_id_is_refused(self, api_client, member):
        other = User.objects.create_user("erin", "erin@example.com", OLD_PASSWORD)
        _, _, token = reset_token(api_client, member).partition(".")
        other_uidb64 = reset_token(api_client, other).partition(".")[0]
        assert check(api_client, f"{other_uidb64}.{token}").json()["fields"] == {"token": INVALID}

    def test_expired_token_is_400(self, api_client, member, monkeypatch):
        token = reset_token(api_client, member)
        hours_later(monkeypatch, account_rules.PASSWORD_RESET_TIMEOUT_SECONDS + 1)
        assert check(api_client, token).json()["fields"] == {"token": INVALID}

    def test_token_just_within_the_hour_is_valid(self, api_client, member, monkeypatch):
        token = reset_token(api_client, member)
        hours_later(monkeypatch, account_rules.PASSWORD_RESET_TIMEOUT_SECONDS - 60)
        assert check(api_client, token).status_code == 200

    def test_token_dies_when_the_password_changes(self, api_client, member):
        token = reset_token(api_client, member)
        change(api_client, auth(baker.make(Authenticator, owner=member)))
        assert check(api_client, token).status_code == 400

    def test_logging_in_after_the_request_retires_the_link(self, api_client, member):
        # issue_authenticator sets last_login, which the token is bound to as well.
        token = reset_token(api_client, member)
        login = api_client.post(
            "/api/v1/authenticators",
            {"username": "dora", "password": OLD_PASSWORD},
            format="json",
        )
        assert login.status_code == 201
        member.refresh_from_db()
        assert member.last_login is not None
        assert check(api_client, token).status_code == 400

    def test_token_over_the_length_limit_is_400_token(self, api_client):
        response = check(api_client, "M" * (account_rules.RESET_TOKEN_MAX_LENGTH + 1))
        assert response.status_code == 400
        assert "token" in response.json()["fields"]


@pytest.mark.django_db
class PasswordResetConfirmApiTest:
    def test_confirm_sets_the_password_and_revokes_every_authenticator(self, api_client, member):
        baker.make(Authenticator, owner=member, _quantity=3)
        kept = baker.make(Authenticator, owner=baker.make(User, username="eve"))
        response = confirm(api_client, reset_token(api_client, member))
        assert response.status_code == 200, response.content
        assert response.json() == {"user_id": member.id, "revoked": 3}
        member.refresh_from_db()
        assert member.check_password(NEW_PASSWORD)
        assert not Authenticator.objects.filter(owner=member).exists()
        assert Authenticator.objects.filter(pk=kept.pk).exists()

    def test_token_works_once(self, api_client, member):
        token = reset_token(api_client, member)
        assert confirm(api_client, token).status_code == 200
        again = confirm(api_client, token, new="Third-quill-parade-93")
        assert again.status_code == 400
        assert again.json()["fields"] == {"token": INVALID}
        member.refresh_from_db()
        assert member.check_password(NEW_PASSWORD)
        assert check(api_client, token).status_code == 400

    def test_expired_token_changes_nothing(self, api_client, member, monkeypatch):
        baker.make(Authenticator, owner=member)
        token = reset_token(api_client, member)
        hours_later(monkeypatch, account_rules.PASSWORD_RESET_TIMEOUT_SECONDS + 1)
        response = confirm(api_client, token)
        assert response.json()["fields"] == {"token": INVALID}
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)
        assert Authenticator.objects.filter(owner=member).count() == 1

    def test_garbled_token_changes_nothing(self, api_client, member):
        response = confirm(api_client, "MQ.garbage-token")
        assert response.json()["fields"] == {"token": INVALID}
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)

    def test_weak_password_is_400_and_the_token_still_works(self, api_client, member):
        token = reset_token(api_client, member)
        response = confirm(api_client, token, new="dora@example")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "new_password": ["The password is too similar to the email."]
        }
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)
        assert confirm(api_client, token).status_code == 200

    def test_inactive_user_cannot_reset(self, api_client, member):
        token = reset_token(api_client, member)
        User.objects.filter(pk=member.pk).update(is_active=False)
        assert confirm(api_client, token).json()["fields"] == {"token": INVALID}

    @pytest.mark.parametrize(
        "body",
        [{"token": "MQ.x"}, {"new_password": NEW_PASSWORD}, {"token": 1, "new_password": "x"}],
    )
    def test_missing_fields_are_400(self, api_client, body):
        response = api_client.post("/api/v1/password-resets/confirm", body, format="json")
        assert response.status_code == 400

    def test_without_service_token_is_401(self, anonymous_client, api_client, member):
        token = reset_token(api_client, member)
        assert confirm(anonymous_client, token).status_code == 401
        member.refresh_from_db()
        assert member.check_password(OLD_PASSWORD)
