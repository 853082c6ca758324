"""Password change and reset through the public API, models-api stubbed over HTTP; and
what they do to the cached resolutions of the user's authenticators."""

from __future__ import annotations

import pytest
import requests
import responses
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.selectors import (
    authenticator_cache_key,
    forget_resolutions_of_user,
    stale_mark_key,
    user_for_authenticator,
)
from clients import models_api
from conftest import MODELS, TOKEN, USER, calls_to
from mpcommon.account_rules import (
    MESSAGE_OLD_PASSWORD_WRONG,
    MESSAGE_RESET_SENT,
    MESSAGE_RESET_TOKEN_INVALID,
    RESET_TOKEN_MAX_LENGTH,
)

OTHER_TOKEN = "b" * 64  # another authenticator of the same user (another device)
RESET_TOKEN = "Nw.cf8k2a-0123456789abcdef0123456789abcdef"
GOOD_PASSWORD = "a-new-Secret-42"
EXPIRES = "2099-01-01T00:00:00Z"


def invalid(field: str, message: str) -> dict:
    return {"error": "validation_failed", "detail": "Invalid input.", "fields": {field: [message]}}


def resolves(models, token: str, *answers: int) -> None:
    """Stub the resolve of ``token``: one answer per call, in order (200 = USER, 401 =
    revoked); the last one repeats."""
    for status in answers:
        models.add(
            responses.POST,
            MODELS + "/authenticators/resolve",
            status=status,
            json={"user": USER, "expires_at": EXPIRES}
            if status == 200
            else {"error": "not_authenticated", "detail": "Invalid or expired authenticator."},
            match=[responses.matchers.json_params_matcher({"token": token})],
        )


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def resolve_calls(models, token: str) -> int:
    return sum(
        1
        for call in calls_to(models, "POST", "/authenticators/resolve")
        if token.encode() in call.request.body
    )


def assert_not_cacheable(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


class PasswordChangeTest:
    URL = "/api/v1/auth/password"
    BODY = {"old_password": "old-Secret-1", "new_password": GOOD_PASSWORD}

    def test_change_forwards_both_passwords_as_the_user_and_answers_revoked(
        self, signed_in, models
    ):
        models.add(responses.POST, MODELS + "/password", json={"revoked": 2})
        response = signed_in.post(self.URL, self.BODY, format="json")
        assert response.status_code == 200
        assert response.json() == {"revoked": 2}
        (call,) = calls_to(models, "POST", "/password")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert call.request.headers["X-Service-Token"] == settings.SERVICE_TOKEN
        assert responses.matchers.json_params_matcher(self.BODY)(call.request)[0]
        assert_not_cacheable(response)

    def test_other_authenticators_stop_working_at_once_and_the_callers_stays(
        self, signed_in, models
    ):
        resolves(models, OTHER_TOKEN, 200, 401)
        other = client_with(OTHER_TOKEN)
        assert other.get("/api/v1/me").status_code == 200  # cached for AUTH_CACHE_SECONDS
        assert signed_in.get("/api/v1/me").status_code == 200
        models.add(responses.POST, MODELS + "/password", json={"revoked": 1})

        assert signed_in.post(self.URL, self.BODY, format="json").status_code == 200

        assert other.get("/api/v1/me").status_code == 401  # not served from the cache
        assert signed_in.get("/api/v1/me").status_code == 200
        assert signed_in.get("/api/v1/me").status_code == 200
        # Each asked models-api once more, once: the answers are cached again.
        assert resolve_calls(models, OTHER_TOKEN) == 2
        assert resolve_calls(models, TOKEN) == 2
        assert other.get("/api/v1/me").status_code == 401
        assert resolve_calls(models, OTHER_TOKEN) == 2

    def test_wrong_old_password_passes_models_api_field_through(self, signed_in, models):
        models.add(
            responses.POST,
            MODELS + "/password",
            status=400,
            json=invalid("old_password", MESSAGE_OLD_PASSWORD_WRONG),
        )
        response = signed_in.post(self.URL, self.BODY, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {"old_password": [MESSAGE_OLD_PASSWORD_WRONG]}

    def test_refused_new_password_leaves_the_cached_resolutions_alone(self, signed_in, models):
        models.add(responses.POST, MODELS + "/password", status=400, json=invalid("x", "y"))
        signed_in.post(self.URL, self.BODY, format="json")
        assert cache.get(stale_mark_key(USER["id"])) is None

    @pytest.mark.parametrize(
        ("new_password", "message"),
        [
            ("short1", "This password is too short."),
            ("example12", "The password is too similar to the email."),
            ("password123", "This password is too common."),
        ],
    )
    def test_new_password_breaking_the_rules_is_400_without_calling_models(
        self, signed_in, models, new_password, message
    ):
        response = signed_in.post(
            self.URL, {"old_password": "x", "new_password": new_password}, format="json"
        )
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert set(fields) == {"new_password"}
        assert any(m.startswith(message) for m in fields["new_password"]), fields
        assert calls_to(models, "POST", "/password") == []

    def test_missing_or_non_string_fields_are_400_each(self, signed_in, models):
        response = signed_in.post(self.URL, {"new_password": 12345678}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "old_password": ["This field is required."],
            "new_password": ["Must be a string."],
        }
        assert calls_to(models, "POST", "/password") == []

    def test_anonymous_is_401_without_calling_models(self, api, models):
        response = api.post(self.URL, self.BODY, format="json")
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert len(models.calls) == 0
        assert_not_cacheable(response)

    def test_models_api_down_is_503_and_the_change_is_sent_once(self, signed_in, models):
        models.add(responses.POST, MODELS + "/password", status=503)
        response = signed_in.post(self.URL, self.BODY, format="json")
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"
        assert len(calls_to(models, "POST", "/password")) == 1


class PasswordResetRequestTest:
    URL = "/api/v1/auth/password-reset"

    @pytest.mark.parametrize(
        ("status", "body"),
        [
            (202, {}),  # known, unknown, inactive or throttled: models-api's one answer
            (400, invalid("email", "Enter a valid email address.")),  # its own stricter rule
            (404, {"error": "not_found", "detail": "Not found."}),
        ],
    )
    def test_answer_is_202_whatever_models_api_says_about_the_address(
        self, api, models, status, body
    ):
        models.add(responses.POST, MODELS + "/password-resets", status=status, json=body)
        response = api.post(self.URL, {"email": "ada@example.com"}, format="json")
        assert response.status_code == 202
        assert response.json() == {"detail": MESSAGE_RESET_SENT}
        assert_not_cacheable(response)

    def test_the_address_is_forwarded_once_with_the_service_token_only(self, api, models):
        models.add(responses.POST, MODELS + "/password-resets", status=202, json={})
        api.post(self.URL, {"email": "ada@example.com"}, format="json")
        (call,) = models.calls
        assert call.request.url == MODELS + "/password-resets"
        assert responses.matchers.json_params_matcher({"email": "ada@example.com"})(call.request)[0]
        assert call.request.headers["X-Service-Token"] == settings.SERVICE_TOKEN
        assert "X-Authenticator" not in call.request.headers

    def test_a_bearer_header_is_not_looked_at(self, api, models):
        models.add(responses.POST, MODELS + "/password-resets", status=202, json={})
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "c" * 64)
        response = api.post(self.URL, {"email": "ada@example.com"}, format="json")
        assert response.status_code == 202
        assert calls_to(models, "POST", "/authenticators/resolve") == []

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({}, "This field is required."),
            ({"email": "not-an-address"}, "Enter a valid email address."),
            ({"email": 42}, "Enter a valid email address."),
            ({"email": "a" * 250 + "@example.com"}, "Ensure this field has no more than 254"),
        ],
    )
    def test_malformed_email_is_400_on_email_without_calling_models(
        self, api, models, body, message
    ):
        response = api.post(self.URL, body, format="json")
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert set(fields) == {"email"}
        assert fields["email"][0].startswith(message)
        assert len(models.calls) == 0

    @pytest.mark.parametrize(
        "failure", [{"status": 503}, {"body": requests.ConnectionError()}], ids=["503", "down"]
    )
    def test_models_api_down_is_503_not_a_false_202_and_sent_once(self, api, models, failure):
        # Nothing was recorded: "on its way" would be untrue (for every address alike).
        # Never repeated: a request that did reach models-api may have queued an email.
        models.add(responses.POST, MODELS + "/password-resets", **failure)
        response = api.post(self.URL, {"email": "ada@example.com"}, format="json")
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"
        assert len(models.calls) == 1


class PasswordResetCheckTest:
    URL = "/api/v1/auth/password-reset/check"

    def test_usable_token_answers_whose_password_it_resets(self, api, models):
        models.add(
            responses.POST,
            MODELS + "/password-resets/check",
            json={"username": "ada"},
            match=[responses.matchers.json_params_matcher({"token": RESET_TOKEN})],
        )
        response = api.post(self.URL, {"token": RESET_TOKEN}, format="json")
        assert response.status_code == 200
        assert response.json() == {"username": "ada"}
        assert_not_cacheable(response)

    def test_used_or_expired_token_passes_models_api_400_through(self, api, models):
        models.add(
            responses.POST,
            MODELS + "/password-resets/check",
            status=400,
            json=invalid("token", MESSAGE_RESET_TOKEN_INVALID),
        )
        response = api.post(self.URL, {"token": RESET_TOKEN}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {"token": [MESSAGE_RESET_TOKEN_INVALID]}

    @pytest.mark.parametrize(
        "token",
        ["no-separator", "a.b/c", ".abc", "abc.", "Nw." + "x" * RESET_TOKEN_MAX_LENGTH, 12, None],
    )
    def test_malformed_token_is_the_invalid_link_400_without_calling_models(
        self, api, models, token
    ):
        response = api.post(self.URL, {"token": token}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"]["token"] == [
            "This field may not be null." if token is None else MESSAGE_RESET_TOKEN_INVALID
        ]
        assert len(models.calls) == 0

    def test_the_check_reads_only_so_it_is_retried(self, api, models):
        models.add(responses.POST, MODELS + "/password-resets/check", status=503)
        models.add(responses.POST, MODELS + "/password-resets/check", json={"username": "ada"})
        response = api.post(self.URL, {"token": RESET_TOKEN}, format="json")
        assert response.status_code == 200
        assert len(models.calls) == 2


class PasswordResetConfirmTest:
    URL = "/api/v1/auth/password-reset/confirm"
    BODY = {"token": RESET_TOKEN, "new_password": GOOD_PASSWORD}

    def test_confirm_forwards_token_and_password_and_answers_the_revocations(self, api, models):
        models.add(
            responses.POST,
            MODELS + "/password-resets/confirm",
            json={"user_id": 7, "revoked": 3},
            match=[responses.matchers.json_params_matcher(self.BODY)],
        )
        response = api.post(self.URL, self.BODY, format="json")
        assert response.status_code == 200
        assert response.json() == {"user_id": 7, "revoked": 3}
        assert "X-Authenticator" not in models.calls[0].request.headers
        assert_not_cacheable(response)

    def test_every_authenticator_of_the_user_stops_working_at_once(self, api, models):
        resolves(models, TOKEN, 200, 401)
        resolves(models, OTHER_TOKEN, 200, 401)
        devices = [client_with(TOKEN), client_with(OTHER_TOKEN)]
        assert [d.get("/api/v1/me").status_code for d in devices] == [200, 200]  # cached
        models.add(
            responses.POST, MODELS + "/password-resets/confirm", json={"user_id": 7, "revoked": 2}
        )

        assert api.post(self.URL, self.BODY, format="json").status_code == 200

        assert [d.get("/api/v1/me").status_code for d in devices] == [401, 401]
        assert (resolve_calls(models, TOKEN), resolve_calls(models, OTHER_TOKEN)) == (2, 2)

    @pytest.mark.parametrize(
        ("field", "message"),
        [
            ("token", MESSAGE_RESET_TOKEN_INVALID),
            ("new_password", "The password is too similar to the username."),
        ],
    )
    def test_models_api_400_passes_through_and_nothing_is_overruled(
        self, api, models, field, message
    ):
        models.add(
            responses.POST,
            MODELS + "/password-resets/confirm",
            status=400,
            json=invalid(field, message),
        )
        response = api.post(self.URL, self.BODY, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {field: [message]}
        assert cache.get(stale_mark_key(USER["id"])) is None

    def test_every_problem_seen_here_is_one_400_without_calling_models(self, api, models):
        response = api.post(self.URL, {"token": "nope", "new_password": "12345678"}, format="json")
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert fields["token"] == [MESSAGE_RESET_TOKEN_INVALID]
        assert "This password is entirely numeric." in fields["new_password"]
        assert len(models.calls) == 0

    def test_models_api_down_is_503_and_the_confirmation_is_sent_once(self, api, models):
        models.add(responses.POST, MODELS + "/password-resets/confirm", status=503)
        response = api.post(self.URL, self.BODY, format="json")
        assert response.status_code == 503
        assert len(models.calls) == 1


class StaleMarkTest:
    """The cache of resolutions against a change made to the user (accounts.selectors)."""

    def test_a_resolution_asked_before_a_change_but_cached_after_it_is_overruled(self, models):
        # The change lands while the resolve is in flight: its answer (still valid when
        # models-api gave it) must not be trusted afterwards.
        answers = iter([200, 401])

        def resolve_racing_a_revocation(request):
            status = next(answers)
            if status == 200:
                forget_resolutions_of_user(USER["id"])  # the password change, meanwhile
                return (
                    200,
                    {},
                    f'{{"user": {{"id": 7, "username": "ada"}}, "expires_at": "{EXPIRES}"}}',
                )
            return 401, {}, '{"error": "not_authenticated"}'

        models.add_callback(
            responses.POST, MODELS + "/authenticators/resolve", callback=resolve_racing_a_revocation
        )
        assert user_for_authenticator(OTHER_TOKEN).id == 7
        with pytest.raises(models_api.NotAuthenticated):
            user_for_authenticator(OTHER_TOKEN)

    def test_the_mark_outlives_every_resolution_it_overrules(self, signed_in, models):
        signed_in.get("/api/v1/me")
        forget_resolutions_of_user(USER["id"])
        entry_ttl = cache.ttl(authenticator_cache_key(TOKEN))
        mark_ttl = cache.ttl(stale_mark_key(USER["id"]))
        assert 0 < entry_ttl <= settings.AUTH_CACHE_SECONDS
        assert mark_ttl >= entry_ttl

    def test_the_token_itself_is_never_a_cache_key(self, signed_in, models):
        signed_in.get("/api/v1/me")
        assert not any(TOKEN in key for key in cache.keys("*"))
