import pytest
import requests
import responses

from conftest import MODELS, TOKEN, USER, calls_to
from mpcommon.account_rules import DISPLAY_NAME_MAX_LENGTH

SESSION = {"token": TOKEN, "expires_at": "2026-12-05T10:00:00Z", "user": USER}


class SignupTest:
    def test_signup_creates_user_and_returns_authenticator(self, api, models):
        models.add(responses.POST, MODELS + "/users", json=USER, status=201)
        models.add(responses.POST, MODELS + "/authenticators", json=SESSION, status=201)
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "ada", "email": "ada@example.com", "password": "s3cret-Pass"},
            format="json",
        )
        assert response.status_code == 201
        assert response.json() == {
            "authenticator": TOKEN,
            "expires_at": "2026-12-05T10:00:00Z",
            "user": USER,
        }

    def test_signup_missing_fields_is_400_and_calls_nothing(self, api, models):
        response = api.post("/api/v1/auth/signup", {"username": "ada"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "validation_failed"
        assert set(body["fields"]) == {"email", "password"}
        assert len(models.calls) == 0

    def test_signup_display_name_over_models_limit_is_400_and_calls_nothing(self, api, models):
        # Regression: the check here allowed 150 characters, models-api only 100.
        response = api.post(
            "/api/v1/auth/signup",
            {
                "username": "ada",
                "email": "ada@example.com",
                "password": "s3cret-Pass",
                "display_name": "x" * (DISPLAY_NAME_MAX_LENGTH + 1),
            },
            format="json",
        )
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"display_name"}
        assert len(models.calls) == 0

    def test_signup_taken_username_passes_models_api_fields_through(self, api, models):
        models.add(
            responses.POST,
            MODELS + "/users",
            status=400,
            json={
                "error": "validation_failed",
                "detail": "Invalid input.",
                "fields": {"username": ["A user with that username already exists."]},
            },
        )
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "ada", "email": "ada@example.com", "password": "s3cret-Pass"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "username": ["A user with that username already exists."]
        }
        assert len(calls_to(models, "POST", "/authenticators")) == 0

    def test_signup_every_invalid_field_reported_at_once_without_remote_call(self, api, models):
        # Regression: the email check here hid the username and password rules.
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "bad name<>", "email": "nope", "password": "123"},
            format="json",
        )
        assert response.status_code == 400
        fields = response.json()["fields"]
        assert set(fields) == {"username", "email", "password"}
        assert fields["password"][0].startswith("This password is too short.")
        assert len(models.calls) == 0

    def test_signup_password_like_the_username_refused_here(self, api, models):
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "adalovelace", "email": "a@example.com", "password": "adalovelace1"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "password": ["The password is too similar to the username."]
        }
        assert len(models.calls) == 0

    def test_signup_passes_every_models_api_field_through(self, api, models):
        fields = {
            "username": ["A user with that username already exists."],
            "password": ["This password is too similar to the email."],
        }
        models.add(
            responses.POST,
            MODELS + "/users",
            status=400,
            json={"error": "validation_failed", "detail": "Invalid input.", "fields": fields},
        )
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "ada", "email": "ada@example.com", "password": "s3cret-Pass"},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["fields"] == fields

    @pytest.mark.parametrize(
        ("overrides", "fields"),
        [
            ({"username": 12345}, {"username": ["Must be a string."]}),
            ({"username": ["ada"]}, {"username": ["Must be a string."]}),
            ({"email": 42}, {"email": ["Enter a valid email address."]}),
            ({"password": 123456789}, {"password": ["Must be a string."]}),
            ({"password": True}, {"password": ["Must be a string."]}),
            ({"display_name": {"x": 1}}, {"display_name": ["Must be a string."]}),
        ],
    )
    def test_signup_non_string_values_are_400_not_coerced(self, api, models, overrides, fields):
        # Regression: DRF's CharField turned the number 12345 into the username "12345".
        body = {"username": "ada", "email": "ada@example.com", "password": "s3cret-Pass"}
        response = api.post("/api/v1/auth/signup", {**body, **overrides}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == fields
        assert len(models.calls) == 0

    def test_signup_models_api_down_is_503(self, api, models):
        models.add(responses.POST, MODELS + "/users", body=requests.ConnectionError())
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "ada", "email": "ada@example.com", "password": "s3cret-Pass"},
            format="json",
        )
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"

    def test_signup_malformed_json_is_400(self, api, models):
        response = api.generic(
            "POST", "/api/v1/auth/signup", "{nope", content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "malformed_request"

    def test_signup_form_encoded_body_is_415(self, api, models):
        response = api.post("/api/v1/auth/signup", {"username": "ada"})
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"


class LoginTest:
    def test_login_returns_authenticator(self, api, models):
        models.add(responses.POST, MODELS + "/authenticators", json=SESSION, status=201)
        response = api.post(
            "/api/v1/auth/login", {"username": "ada", "password": "pw"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["authenticator"] == TOKEN

    def test_login_bad_credentials_is_401_invalid_credentials(self, api, models):
        models.add(
            responses.POST,
            MODELS + "/authenticators",
            status=401,
            json={"error": "invalid_credentials", "detail": "Invalid username or password."},
        )
        response = api.post(
            "/api/v1/auth/login", {"username": "ada", "password": "bad"}, format="json"
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_credentials"

    def test_login_without_password_is_400(self, api, models):
        response = api.post("/api/v1/auth/login", {"username": "ada"}, format="json")
        assert response.status_code == 400
        assert "password" in response.json()["fields"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"username": 12345, "password": "pw"}, "username"),
            ({"username": "ada", "password": 12345}, "password"),
            ({"username": None, "password": "pw"}, "username"),
            ({"username": "ada", "password": ["pw"]}, "password"),
        ],
    )
    def test_login_non_string_values_are_400_not_coerced(self, api, models, body, field):
        response = api.post("/api/v1/auth/login", body, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {field}
        assert len(models.calls) == 0

    def test_login_get_is_405_json(self, api):
        response = api.get("/api/v1/auth/login")
        assert response.status_code == 405
        assert response.json()["error"] == "method_not_allowed"


class MeTest:
    def test_me_returns_the_user_with_email_and_unread_count(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/threads/unread", json={"unread": 3})
        response = signed_in.get("/api/v1/me")
        assert response.status_code == 200
        assert response.json() == {**USER, "unread_messages": 3}

    def test_me_unread_count_unknown_is_null_and_me_still_answers(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/threads/unread", status=503)
        response = signed_in.get("/api/v1/me")
        assert response.status_code == 200
        assert response.json()["unread_messages"] is None

    def test_resolution_is_cached_briefly(self, signed_in, models):
        signed_in.get("/api/v1/me")
        signed_in.get("/api/v1/me")
        assert len(calls_to(models, "POST", "/authenticators/resolve")) == 1

    def test_me_anonymous_is_401_with_bearer_challenge(self, api):
        response = api.get("/api/v1/me")
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_me_unknown_authenticator_is_401(self, api, models):
        models.add(
            responses.POST,
            MODELS + "/authenticators/resolve",
            status=401,
            json={"error": "not_authenticated"},
        )
        api.credentials(HTTP_AUTHORIZATION="Bearer " + "b" * 64)
        response = api.get("/api/v1/me")
        assert response.status_code == 401

    @pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer <script>xx</script>zzz"])
    def test_me_malformed_header_is_401_without_remote_call(self, api, models, header):
        api.credentials(HTTP_AUTHORIZATION=header)
        assert api.get("/api/v1/me").status_code == 401
        assert len(models.calls) == 0

    def test_me_models_api_down_is_503(self, api, models):
        models.add(
            responses.POST, MODELS + "/authenticators/resolve", body=requests.ConnectionError()
        )
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        response = api.get("/api/v1/me")
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"


class LogoutTest:
    def test_logout_revokes_and_the_authenticator_stops_working(self, signed_in, models):
        models.add(responses.POST, MODELS + "/authenticators/revoke", status=204)
        assert signed_in.get("/api/v1/me").status_code == 200  # resolution now cached
        response = signed_in.post("/api/v1/auth/logout")
        assert response.status_code == 204
        assert response.content == b""
        revoke = calls_to(models, "POST", "/authenticators/revoke")
        assert len(revoke) == 1
        assert signed_in.get("/api/v1/me").status_code == 401
        assert len(calls_to(models, "POST", "/authenticators/resolve")) == 1

    def test_logout_anonymous_is_401(self, api, models):
        assert api.post("/api/v1/auth/logout").status_code == 401
        assert len(models.calls) == 0


class NoStoreTest:
    """Answers carrying an authenticator or an email are never stored by any cache."""

    @staticmethod
    def assert_not_cacheable(response):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert response["Pragma"] == "no-cache"

    def test_signup_answer_is_not_cacheable(self, api, models):
        models.add(responses.POST, MODELS + "/users", json=USER, status=201)
        models.add(responses.POST, MODELS + "/authenticators", json=SESSION, status=201)
        response = api.post(
            "/api/v1/auth/signup",
            {"username": "ada", "email": "ada@example.com", "password": "s3cret-Pass"},
            format="json",
        )
        assert response.status_code == 201
        self.assert_not_cacheable(response)

    def test_login_answer_is_not_cacheable(self, api, models):
        models.add(responses.POST, MODELS + "/authenticators", json=SESSION, status=201)
        response = api.post(
            "/api/v1/auth/login", {"username": "ada", "password": "pw"}, format="json"
        )
        assert response.status_code == 200
        self.assert_not_cacheable(response)

    def test_login_failure_is_not_cacheable_either(self, api, models):
        response = api.post("/api/v1/auth/login", {"username": "ada"}, format="json")
        assert response.status_code == 400
        self.assert_not_cacheable(response)

    def test_me_answer_is_not_cacheable(self, signed_in):
        response = signed_in.get("/api/v1/me")
        assert response.status_code == 200
        self.assert_not_cacheable(response)

    def test_logout_answer_is_not_cacheable(self, signed_in, models):
        models.add(responses.POST, MODELS + "/authenticators/revoke", status=204)
        response = signed_in.post("/api/v1/auth/logout")
        assert response.status_code == 204
        self.assert_not_cacheable(response)
