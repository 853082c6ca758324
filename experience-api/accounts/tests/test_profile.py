"""GET and PATCH /me (display name and bio), models-api stubbed over HTTP."""

from __future__ import annotations

import pytest
import responses

from conftest import MODELS, TOKEN, USER, calls_to
from mpcommon.account_rules import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH

PUBLIC_USER = {k: USER[k] for k in ("id", "username", "display_name", "bio", "date_joined")}
CHANGED = {**PUBLIC_USER, "display_name": "Ada Lovelace", "bio": "Lamps and engines."}


def resolve_answers(models, *users: dict) -> None:
    """The resolve of TOKEN answers these users in order (the last one repeats)."""
    for user in users:
        models.add(
            responses.POST,
            MODELS + "/authenticators/resolve",
            json={"user": user, "expires_at": "2099-01-01T00:00:00Z"},
        )


class MeBioTest:
    def test_me_shows_the_bio(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 0})
        assert signed_in.get("/api/v1/me").json()["bio"] == USER["bio"]

    def test_me_without_a_bio_from_models_api_shows_an_empty_one(self, api, models):
        resolve_answers(models, {k: v for k, v in USER.items() if k != "bio"})
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert api.get("/api/v1/me").json()["bio"] == ""


class MeUpdateTest:
    def test_patch_forwards_the_given_fields_as_the_user_and_answers_me(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/users/7", json=CHANGED)
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 2})
        response = signed_in.patch(
            "/api/v1/me",
            {"display_name": "Ada Lovelace", "bio": "Lamps and engines."},
            format="json",
        )
        assert response.status_code == 200
        assert response.json() == {**USER, **CHANGED, "unread_messages": 2}  # email kept
        (call,) = calls_to(models, "PATCH", "/users/7")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert responses.matchers.json_params_matcher(
            {"display_name": "Ada Lovelace", "bio": "Lamps and engines."}
        )(call.request)[0]
        assert "no-store" in response["Cache-Control"]

    def test_patch_sends_only_what_changes(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/users/7", json={**PUBLIC_USER, "bio": ""})
        response = signed_in.patch("/api/v1/me", {"bio": ""}, format="json")
        assert response.status_code == 200
        assert response.json()["bio"] == ""
        (call,) = calls_to(models, "PATCH", "/users/7")
        assert responses.matchers.json_params_matcher({"bio": ""})(call.request)[0]

    def test_me_shows_the_change_at_once_not_the_cached_user(self, api, models):
        resolve_answers(models, USER, {**USER, **CHANGED})
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert api.get("/api/v1/me").json()["bio"] == USER["bio"]  # resolution cached
        models.add(responses.PATCH, f"{MODELS}/users/7", json=CHANGED)
        assert api.patch("/api/v1/me", {"bio": CHANGED["bio"]}, format="json").status_code == 200
        assert api.get("/api/v1/me").json()["bio"] == CHANGED["bio"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"display_name": "x" * (DISPLAY_NAME_MAX_LENGTH + 1)}, "display_name"),
            ({"bio": "x" * (BIO_MAX_LENGTH + 1)}, "bio"),
            ({"bio": 42}, "bio"),
            ({"display_name": None}, "display_name"),
            ({"email": "new@example.com"}, "email"),  # not changeable here
        ],
    )
    def test_invalid_change_is_400_on_its_field_without_calling_models(
        self, signed_in, models, body, field
    ):
        response = signed_in.patch("/api/v1/me", body, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {field}
        assert calls_to(models, "PATCH", "/users/7") == []

    def test_the_longest_allowed_values_are_forwarded(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/users/7", json=PUBLIC_USER)
        body = {"display_name": "x" * DISPLAY_NAME_MAX_LENGTH, "bio": "y" * BIO_MAX_LENGTH}
        assert signed_in.patch("/api/v1/me", body, format="json").status_code == 200

    def test_nothing_to_change_is_400_without_calling_models(self, signed_in, models):
        response = signed_in.patch("/api/v1/me", {}, format="json")
        assert response.status_code == 400
        assert "non_field_errors" in response.json()["fields"]
        assert calls_to(models, "PATCH", "/users/7") == []

    def test_models_api_400_passes_through(self, signed_in, models):
        fields = {"bio": ["Ensure this field has no more than 500 characters."]}
        models.add(
            responses.PATCH,
            f"{MODELS}/users/7",
            status=400,
            json={"error": "validation_failed", "detail": "Invalid input.", "fields": fields},
        )
        response = signed_in.patch("/api/v1/me", {"bio": "b"}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == fields

    def test_models_api_403_passes_through(self, signed_in, models):
        models.add(
            responses.PATCH,
            f"{MODELS}/users/7",
            status=403,
            json={"error": "permission_denied", "detail": "Only that user."},
        )
        response = signed_in.patch("/api/v1/me", {"bio": "b"}, format="json")
        assert (response.status_code, response.json()["error"]) == (403, "permission_denied")

    def test_anonymous_is_401(self, api, models):
        assert api.patch("/api/v1/me", {"bio": "b"}, format="json").status_code == 401
        assert len(models.calls) == 0

    def test_models_api_down_is_503_and_the_patch_is_sent_once(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/users/7", status=503)
        response = signed_in.patch("/api/v1/me", {"bio": "b"}, format="json")
        assert response.status_code == 503
        assert len(calls_to(models, "PATCH", "/users/7")) == 1
