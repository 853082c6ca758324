"""Users and authenticators through the HTTP API."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from model_bakery import baker

from accounts.models import Authenticator, User

STRONG_PASSWORD = "correct-Horse-battery-9"


def signup(client, **overrides):
    body = {
        "username": "carol",
        "email": "carol@example.com",
        "password": STRONG_PASSWORD,
        "display_name": "Carol C.",
    }
    body.update(overrides)
    body = {key: value for key, value in body.items() if value is not ...}
    return client.post("/api/v1/users", body, format="json")


@pytest.mark.django_db
class UserCreateApiTest:
    def test_valid_signup_creates_user_and_returns_it_with_email(self, api_client):
        response = signup(api_client)
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"id", "username", "display_name", "bio", "date_joined", "email"}
        assert body["username"] == "carol"
        assert body["email"] == "carol@example.com"
        assert body["date_joined"].endswith("Z")
        user = User.objects.get(pk=body["id"])
        assert user.check_password(STRONG_PASSWORD)
        assert STRONG_PASSWORD not in user.password

    def test_password_never_in_response_or_logs(self, api_client, caplog):
        caplog.set_level(logging.DEBUG)
        response = signup(api_client)
        assert STRONG_PASSWORD not in response.content.decode()
        assert STRONG_PASSWORD not in caplog.text

    def test_display_name_defaults_to_username(self, api_client):
        response = signup(api_client, display_name=...)
        assert response.status_code == 201
        assert response.json()["display_name"] == "carol"

    def test_username_taken_ignoring_case_is_400(self, api_client):
        baker.make(User, username="Carol")
        response = signup(api_client, username="cAROL")
        assert response.status_code == 400
        assert response.json()["fields"]["username"] == [
            "A user with that username already exists."
        ]
        assert User.objects.count() == 1

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"password": "short"}, "password"),
            ({"password": "password123"}, "password"),
            ({"password": "12345678901"}, "password"),
            ({"password": "carolexample"}, "password"),
            ({"email": "not-an-email"}, "email"),
            ({"email": 42}, "email"),
            ({"username": "has space"}, "username"),
            ({"username": "x'; DROP TABLE accounts_user; --"}, "username"),
            ({"username": "u" * 151}, "username"),
            ({"username": ""}, "username"),
            ({"username": 123}, "username"),
            ({"username": None}, "username"),
            ({"username": ...}, "username"),
            ({"email": ...}, "email"),
            ({"password": ...}, "password"),
            ({"display_name": "d" * 101}, "display_name"),
            ({"display_name": ["x"]}, "display_name"),
        ],
    )
    def test_invalid_input_is_400_per_field_and_writes_nothing(self, api_client, overrides, field):
        response = signup(api_client, **overrides)
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["error"] == "validation_failed"
        assert field in body["fields"]
        assert User.objects.count() == 0

    def test_every_invalid_field_reported_at_once(self, api_client):
        # Regression: the username/email checks failed first and hid the password rules.
        response = signup(api_client, username="bad name<>", email="nope", password="123")
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert set(fields) == {"username", "email", "password"}
        assert fields["password"] == [
            "This password is too short. It must contain at least 8 characters.",
            "This password is too common.",
            "This password is entirely numeric.",
        ]
        assert User.objects.count() == 0

    def test_username_taken_reported_with_other_field_errors(self, api_client):
        baker.make(User, username="carol")
        response = signup(api_client, email="nope", password="password")
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert fields["username"] == ["A user with that username already exists."]
        assert set(fields) == {"username", "email", "password"}
        assert User.objects.count() == 1

    def test_password_like_the_display_name_refused_even_with_a_bad_email(self, api_client):
        response = signup(
            api_client, email=42, display_name="Carol Danvers", password="caroldanvers"
        )
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert fields["password"] == ["The password is too similar to the display name."]
        assert set(fields) == {"email", "password"}

    def test_non_object_body_is_400_non_field_error(self, api_client):
        response = api_client.post("/api/v1/users", ["carol"], format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"non_field_errors"}

    def test_unicode_username_and_sql_looking_display_name_stored_verbatim(self, api_client):
        response = signup(api_client, username="Zoë_Ünal", display_name="Robert'); DROP TABLE--")
        assert response.status_code == 201
        user = User.objects.get(pk=response.json()["id"])
        assert user.username == "Zoë_Ünal"
        assert user.display_name == "Robert'); DROP TABLE--"


@pytest.mark.django_db
class UserDetailApiTest:
    def test_existing_user_returned_without_email(self, api_client, user):
        response = api_client.get(f"/api/v1/users/{user.id}")
        assert response.status_code == 200
        assert response.json() == {
            "id": user.id,
            "username": "alice",
            "display_name": user.public_name,
            "bio": "",
            "date_joined": user.date_joined.isoformat().replace("+00:00", "Z"),
        }

    def test_unknown_user_is_404(self, api_client):
        response = api_client.get("/api/v1/users/999999")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    def test_without_service_token_is_401(self, anonymous_client, user):
        assert anonymous_client.get(f"/api/v1/users/{user.id}").status_code == 401


@pytest.fixture
def member(db):
    return User.objects.create_user("Dave", "dave@example.com", STRONG_PASSWORD)


@pytest.mark.django_db
class AuthenticatorCreateApiTest:
    def login(self, client, username="dave", password=STRONG_PASSWORD):
        return client.post(
            "/api/v1/authenticators", {"username": username, "password": password}, format="json"
        )

    def test_correct_credentials_issue_authenticator(self, api_client, member):
        response = self.login(api_client)
        assert response.status_code == 201
        body = response.json()
        assert set(body) == {"token", "expires_at", "user"}
        assert body["user"]["id"] == member.id
        assert body["user"]["email"] == "dave@example.com"
        authenticator = Authenticator.objects.get(pk=body["token"])
        assert authenticator.owner == member
        assert body["expires_at"].endswith("Z")
        assert abs(authenticator.expires_at - (timezone.now() + timedelta(days=14))) < timedelta(
            minutes=1
        )

    @override_settings(AUTHENTICATOR_TTL_DAYS=2)
    def test_expiry_follows_ttl_setting(self, api_client, member):
        token = self.login(api_client).json()["token"]
        expires_at = Authenticator.objects.get(pk=token).expires_at
        assert abs(expires_at - (timezone.now() + timedelta(days=2))) < timedelta(minutes=1)

    def test_username_is_case_insensitive(self, api_client, member):
        assert self.login(api_client, username="DAVE").status_code == 201

    @pytest.mark.parametrize(
        ("username", "password"), [("dave", "wrong-password"), ("nobody", STRONG_PASSWORD)]
    )
    def test_bad_credentials_are_401_invalid_credentials(
        self, api_client, member, username, password
    ):
        response = self.login(api_client, username=username, password=password)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_credentials"
        assert Authenticator.objects.count() == 0

    def test_inactive_user_cannot_log_in(self, api_client, member):
        User.objects.filter(pk=member.pk).update(is_active=False)
        assert self.login(api_client).status_code == 401

    def test_missing_fields_are_400(self, api_client):
        response = api_client.post("/api/v1/authenticators", {}, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"username", "password"}

    def test_password_not_logged_on_failed_login(self, api_client, member, caplog):
        caplog.set_level(logging.DEBUG)
        self.login(api_client, password="Secret-Wrong-Guess-77")
        assert "Secret-Wrong-Guess-77" not in caplog.text


@pytest.mark.django_db
class AuthenticatorResolveApiTest:
    def resolve(self, client, token):
        return client.post("/api/v1/authenticators/resolve", {"token": token}, format="json")

    def test_live_token_resolves_to_its_user(self, api_client, authenticator, user):
        response = self.resolve(api_client, authenticator.token)
        assert response.status_code == 200
        assert response.json()["user"]["id"] == user.id
        assert response.json()["user"]["email"] == user.email
        assert response.json()["expires_at"].endswith("Z")

    def test_expired_token_is_401(self, api_client, user):
        expired = baker.make(
            Authenticator, owner=user, expires_at=timezone.now() - timedelta(seconds=1)
        )
        response = self.resolve(api_client, expired.token)
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"

    def test_unknown_token_is_401(self, api_client):
        assert self.resolve(api_client, "no-such-token").status_code == 401

    def test_missing_token_is_400(self, api_client):
        response = api_client.post("/api/v1/authenticators/resolve", {}, format="json")
        assert response.status_code == 400
        assert "token" in response.json()["fields"]

    def test_without_service_token_is_401(self, anonymous_client, authenticator):
        response = anonymous_client.post(
            "/api/v1/authenticators/resolve", {"token": authenticator.token}, format="json"
        )
        assert response.status_code == 401


@pytest.mark.django_db
class AuthenticatorRevokeApiTest:
    def test_revoked_token_no_longer_resolves(self, api_client, authenticator):
        response = api_client.post(
            "/api/v1/authenticators/revoke", {"token": authenticator.token}, format="json"
        )
        assert response.status_code == 204
        assert not Authenticator.objects.filter(pk=authenticator.token).exists()
        resolve = api_client.post(
            "/api/v1/authenticators/resolve", {"token": authenticator.token}, format="json"
        )
        assert resolve.status_code == 401

    def test_revoking_unknown_token_is_still_204(self, api_client):
        response = api_client.post(
            "/api/v1/authenticators/revoke", {"token": "already-gone"}, format="json"
        )
        assert response.status_code == 204

    def test_revoke_only_removes_that_token(self, api_client, authenticator, user):
        other = baker.make(Authenticator, owner=user)
        api_client.post("/api/v1/authenticators/revoke", {"token": other.token}, format="json")
        assert Authenticator.objects.filter(pk=authenticator.token).exists()

    def test_missing_token_is_400(self, api_client):
        assert (
            api_client.post("/api/v1/authenticators/revoke", {}, format="json").status_code == 400
        )
