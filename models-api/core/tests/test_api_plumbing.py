"""Service token, error envelope, body limits and health endpoints (through the client)."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings

from mpcommon.api_parsers import PayloadTooLarge, StrictJSONParser


@pytest.mark.django_db
class ServiceTokenTest:
    def test_request_without_token_is_401_with_envelope(self, anonymous_client):
        response = anonymous_client.get("/api/v1/categories")
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert "fields" not in response.json()
        assert response["WWW-Authenticate"] == "ServiceToken"

    def test_request_with_wrong_token_is_401(self, anonymous_client):
        response = anonymous_client.get("/api/v1/categories", HTTP_X_SERVICE_TOKEN="wrong")
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"

    def test_writes_without_token_are_401_and_write_nothing(self, anonymous_client):
        body = {"username": "mallory", "email": "m@example.com", "password": "x7!kQ9zzzz"}
        response = anonymous_client.post("/api/v1/users", body, format="json")
        assert response.status_code == 401
        from accounts.models import User

        assert not User.objects.filter(username="mallory").exists()

    @override_settings(SERVICE_TOKEN="")
    def test_unset_service_token_refuses_everyone(self, anonymous_client):
        response = anonymous_client.get("/api/v1/categories", HTTP_X_SERVICE_TOKEN="")
        assert response.status_code == 401

    def test_schema_requires_token(self, anonymous_client):
        assert anonymous_client.get("/api/v1/schema").status_code == 401


@pytest.mark.django_db
class HealthTest:
    def test_healthz_needs_no_token(self, anonymous_client):
        response = anonymous_client.get("/healthz")
        assert response.status_code == 200
        assert response.content == b"ok"

    def test_readyz_reports_database_ok(self, anonymous_client):
        response = anonymous_client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "checks": {"database": {"ok": True, "detail": "SELECT 1 succeeded"}},
        }

    def test_readyz_database_down_is_503(self, anonymous_client, monkeypatch):
        from django.db import OperationalError

        def broken_cursor(*args, **kwargs):
            raise OperationalError("connection refused")

        monkeypatch.setattr("core.views.connection.cursor", broken_cursor)
        response = anonymous_client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        assert response.json()["checks"]["database"] == {"ok": False, "detail": "OperationalError"}


@pytest.mark.django_db
class ErrorEnvelopeTest:
    def test_malformed_json_is_400_validation_failed(self, api_client):
        response = api_client.post(
            "/api/v1/users", data='{"username": ', content_type="application/json"
        )
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "validation_failed"
        assert "body" in body["fields"]

    @pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
    def test_non_json_number_literals_are_400(self, api_client, literal):
        response = api_client.post(
            "/api/v1/users", data='{"username": ' + literal + "}", content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "validation_failed"

    def test_deeply_nested_json_is_400_not_500(self, api_client):
        response = api_client.post(
            "/api/v1/users", data="[" * 100_000, content_type="application/json"
        )
        assert response.status_code == 400

    def test_json_array_instead_of_object_is_400(self, api_client):
        response = api_client.post("/api/v1/users", data="[1, 2]", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["fields"]["non_field_errors"]

    def test_unknown_path_is_json_404(self, api_client):
        response = api_client.get("/api/v1/nope")
        assert response.status_code == 404
        assert response.json() == {"error": "not_found", "detail": "Not found."}

    def test_wrong_method_is_405_envelope(self, api_client):
        response = api_client.delete("/api/v1/categories")
        assert response.status_code == 405
        assert response.json()["error"] == "method_not_allowed"

    def test_non_json_content_type_is_415(self, api_client):
        response = api_client.post("/api/v1/users", data="a=b", content_type="text/plain")
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"

    def test_non_numeric_id_in_path_is_404(self, api_client):
        assert api_client.get("/api/v1/listings/abc").status_code == 404
        assert api_client.get("/api/v1/listings/" + "9" * 30).status_code == 404


@pytest.mark.django_db
class BodySizeLimitTest:
    @override_settings(MAX_REQUEST_BODY_BYTES=1024)
    def test_body_over_limit_is_413_and_writes_nothing(self, api_client):
        from accounts.models import User

        body = {
            "username": "bigbody",
            "email": "big@example.com",
            "password": "a-Long-enough-pass-1",
            "display_name": "x" * 2000,
        }
        response = api_client.post("/api/v1/users", body, format="json")
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert not User.objects.filter(username="bigbody").exists()

    def test_bulk_endpoints_accept_larger_bodies(self, api_client):
        increments = {str(i): 1 for i in range(1, 30_000)}  # ~400 KB, over the default 256 KB
        body = json.dumps({"increments": increments})
        assert len(body) > 256 * 1024
        response = api_client.post("/api/v1/listings/views", body, content_type="application/json")
        assert response.status_code == 200

    def test_parser_enforces_limit_on_bytes_read(self):
        parser = StrictJSONParser()

        class View:
            max_body_bytes = 10

        with pytest.raises(PayloadTooLarge):
            parser.parse(io.BytesIO(b'{"a": "0123456789"}'), parser_context={"view": View()})
        assert parser.parse(io.BytesIO(b'{"a": 1}'), parser_context={"view": View()}) == {"a": 1}


@pytest.mark.django_db
class SchemaTest:
    def test_schema_is_openapi_with_error_envelope_and_service_token(self, api_client):
        response = api_client.get("/api/v1/schema")
        assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
        assert response.status_code == 200
        schema = json.loads(response.content)
        assert schema["openapi"].startswith("3.")
        assert "Error" in schema["components"]["schemas"]
        assert schema["components"]["securitySchemes"]["ServiceToken"]["name"] == "X-Service-Token"
        paths = schema["paths"]
        for path in (
            "/api/v1/users",
            "/api/v1/users/{user_id}",
            "/api/v1/authenticators",
            "/api/v1/authenticators/resolve",
            "/api/v1/authenticators/revoke",
            "/api/v1/categories",
            "/api/v1/listings",
            "/api/v1/listings/{listing_id}",
            "/api/v1/listings/views",
            "/api/v1/listings/{listing_id}/recommendations",
            "/api/v1/recommendations",
        ):
            assert path in paths, path
        create = paths["/api/v1/listings"]["post"]
        assert {"201", "400", "401", "413"} <= set(create["responses"])
        assert any(p["name"] == "X-Authenticator" for p in create["parameters"])


@pytest.mark.django_db
class SchemaValidityTest:
    def test_schema_generates_without_warnings_and_validates(self, tmp_path):
        from django.core.management import call_command

        call_command(
            "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
        )
        assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


@pytest.mark.django_db
class UnencodableTextTest:
    def test_lone_surrogate_is_400_not_500(self, api_client):
        body = '{"username": "ab\\ud800cd", "email": "s@example.com", "password": "Long-enough-9x"}'
        response = api_client.post("/api/v1/users", data=body, content_type="application/json")
        assert response.status_code == 400
        assert "username" in response.json()["fields"]


@pytest.mark.django_db
class UnexpectedErrorTest:
    def test_bug_answers_json_500_without_traceback(self, api_client, monkeypatch):
        def broken():
            raise RuntimeError("secret internals")

        monkeypatch.setattr("catalogue.selectors.all_categories", broken)
        api_client.raise_request_exception = False
        response = api_client.get("/api/v1/categories")
        assert response.status_code == 500
        assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
        assert b"secret internals" not in response.content

    def test_database_down_is_503(self, api_client, monkeypatch):
        from django.db import OperationalError

        def down():
            raise OperationalError("could not connect to server")

        monkeypatch.setattr("catalogue.selectors.all_categories", down)
        response = api_client.get("/api/v1/categories")
        assert response.status_code == 503
        assert response.json()["error"] == "database_unavailable"
