"""PATCH /users/<id>: a user changes their own display name and bio."""

from __future__ import annotations

import pytest

from accounts.models import User
from conftest import auth
from mpcommon import account_rules


def patch(client, user_id, body, headers):
    return client.patch(f"/api/v1/users/{user_id}", body, format="json", **headers)


@pytest.mark.django_db
class ProfileUpdateApiTest:
    def test_own_profile_changed_and_returned(self, api_client, user, authenticator):
        response = patch(
            api_client,
            user.id,
            {"display_name": "  Alice A.  ", "bio": "Collector of\nold cameras."},
            auth(authenticator),
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["id"], body["display_name"], body["bio"]) == (
            user.id,
            "Alice A.",
            "Collector of\nold cameras.",
        )
        assert "email" not in body
        user.refresh_from_db()
        assert (user.display_name, user.bio) == ("Alice A.", "Collector of\nold cameras.")

    def test_one_field_alone_leaves_the_other(self, api_client, user, authenticator):
        User.objects.filter(pk=user.pk).update(display_name="Alice", bio="Old bio")
        response = patch(api_client, user.id, {"bio": "New bio"}, auth(authenticator))
        assert response.status_code == 200
        user.refresh_from_db()
        assert (user.display_name, user.bio) == ("Alice", "New bio")

    def test_blank_display_name_shows_the_username(self, api_client, user, authenticator):
        response = patch(api_client, user.id, {"display_name": ""}, auth(authenticator))
        assert response.status_code == 200
        assert response.json()["display_name"] == "alice"

    def test_bio_shown_on_the_public_profile(self, api_client, user, authenticator):
        patch(api_client, user.id, {"bio": "Hello"}, auth(authenticator))
        assert api_client.get(f"/api/v1/users/{user.id}").json()["bio"] == "Hello"

    def test_bio_of_the_maximum_length_is_accepted(self, api_client, user, authenticator):
        bio = "b" * account_rules.BIO_MAX_LENGTH
        assert patch(api_client, user.id, {"bio": bio}, auth(authenticator)).status_code == 200

    def test_another_users_profile_is_403_and_unchanged(
        self, api_client, user, other_user, other_authenticator
    ):
        response = patch(api_client, user.id, {"bio": "hacked"}, auth(other_authenticator))
        assert response.status_code == 403
        assert response.json()["error"] == "permission_denied"
        user.refresh_from_db()
        assert user.bio == ""

    def test_unknown_user_id_is_403(self, api_client, authenticator):
        assert patch(api_client, 999999, {"bio": "x"}, auth(authenticator)).status_code == 403

    def test_without_authenticator_is_401(self, api_client, user):
        response = patch(api_client, user.id, {"bio": "x"}, {})
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"

    def test_with_unknown_authenticator_is_401(self, api_client, user):
        response = patch(api_client, user.id, {"bio": "x"}, {"HTTP_X_AUTHENTICATOR": "nope"})
        assert response.status_code == 401

    def test_without_service_token_is_401(self, anonymous_client, user, authenticator):
        assert (
            patch(anonymous_client, user.id, {"bio": "x"}, auth(authenticator)).status_code == 401
        )

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"bio": "b" * (account_rules.BIO_MAX_LENGTH + 1)}, "bio"),
            ({"bio": 12}, "bio"),
            ({"bio": None}, "bio"),
            ({"display_name": "d" * (account_rules.DISPLAY_NAME_MAX_LENGTH + 1)}, "display_name"),
            ({"display_name": ["x"]}, "display_name"),
            ({"bio": "fine", "email": "new@example.com"}, "email"),
            ({"bio": "fine", "username": "mallory"}, "username"),
            ({}, "non_field_errors"),
        ],
    )
    def test_invalid_input_is_400_per_field_and_changes_nothing(
        self, api_client, user, authenticator, body, field
    ):
        response = patch(api_client, user.id, body, auth(authenticator))
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        fresh = User.objects.get(pk=user.pk)
        assert (fresh.username, fresh.email, fresh.display_name, fresh.bio) == (
            "alice",
            "alice@example.com",
            user.display_name,
            "",
        )
