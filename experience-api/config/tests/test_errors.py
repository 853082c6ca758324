import pytest
from django.test import Client, override_settings

from listings import selectors


class JsonEverywhereTest:
    def test_unknown_path_is_json_404(self, api):
        response = api.get("/nope")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": "not_found", "detail": "Not found."}

    def test_wrong_method_is_json_405(self, api):
        response = api.delete("/api/v1/home")
        assert response.status_code == 405
        assert response.json()["error"] == "method_not_allowed"

    def test_html_accept_header_still_gets_json(self, api, monkeypatch):
        monkeypatch.setattr(selectors, "home_page", lambda: {"newest": [], "popular": []})
        response = api.get("/api/v1/home", HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"

    def test_unexpected_error_is_json_500_without_traceback(self, monkeypatch):
        def broken():
            raise RuntimeError("secret internals")

        monkeypatch.setattr(selectors, "home_page", broken)
        response = Client(raise_request_exception=False).get("/api/v1/home")
        assert response.status_code == 500
        assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
        assert b"secret internals" not in response.content

    def test_request_id_is_echoed(self, api):
        response = api.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
        assert response["X-Request-ID"] == "abc-123"


class SchemaTest:
    def test_schema_is_openapi_json_with_every_public_path(self, api):
        response = api.get("/api/v1/schema")
        assert response.status_code == 200
        schema = response.json()
        assert schema["openapi"].startswith("3.")
        for path in (
            "/api/v1/home",
            "/api/v1/listings",
            "/api/v1/listings/{listing_id}",
            "/api/v1/search",
            "/api/v1/auth/signup",
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
            "/api/v1/me",
            "/api/v1/listings/{listing_id}/photos",
            "/api/v1/listings/{listing_id}/photos/{photo_id}",
        ):
            assert path in schema["paths"], path
        assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"

    def test_schema_generates_without_warnings_and_validates(self, tmp_path):
        # Every endpoint documents its request and response serializers: a view drf-
        # spectacular cannot describe (or two operations with one id) fails here.
        from django.core.management import call_command

        target = tmp_path / "schema.yaml"
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
        assert target.read_text().startswith("openapi: 3")

    def test_schema_documents_the_accounts_and_notifications_endpoints(self, api):
        # docs/accounts-and-notifications.md, "Experience API additions".
        schema = api.get("/api/v1/schema").json()
        paths, components = schema["paths"], schema["components"]["schemas"]
        operations = {
            "/api/v1/auth/password": {"post"},
            "/api/v1/auth/password-reset": {"post"},
            "/api/v1/auth/password-reset/check": {"post"},
            "/api/v1/auth/password-reset/confirm": {"post"},
            "/api/v1/me": {"get", "patch"},
            "/api/v1/favourites": {"get"},
            "/api/v1/favourites/ids": {"get"},
            "/api/v1/favourites/{listing_id}": {"put", "delete"},
            "/api/v1/saved-searches": {"get", "post"},
            "/api/v1/saved-searches/{saved_search_id}": {"patch", "delete"},
        }
        for path, methods in operations.items():
            assert methods <= set(paths[path]), path
            for method in methods:
                operation = paths[path][method]
                assert operation["responses"], (path, method)
                public = path.startswith("/api/v1/auth/password-reset")
                assert ("security" not in operation or {} in operation["security"]) == public
        assert "202" in paths["/api/v1/auth/password-reset"]["post"]["responses"]
        assert {"201", "200", "400", "403"} <= set(
            paths["/api/v1/saved-searches"]["post"]["responses"]
        )
        assert "bio" in components["MeOutput"]["properties"]
        assert "bio" in components["UserPublicOutput"]["properties"]
        assert "bio" in components["PatchedProfileUpdateInputRequest"]["properties"]
        assert components["FavouritesPageOutput"]["properties"]["results"]["items"] == {
            "$ref": "#/components/schemas/CardOutput"
        }

    def test_schema_documents_photo_uploads_as_multipart(self, api):
        schema = api.get("/api/v1/schema").json()
        paths, components = schema["paths"], schema["components"]["schemas"]

        def body_types(path, method):
            return set(paths[path][method]["requestBody"]["content"])

        assert body_types("/api/v1/listings", "post") == {"application/json", "multipart/form-data"}
        assert body_types("/api/v1/listings/{listing_id}", "patch") == {
            "application/json",
            "multipart/form-data",
        }
        assert body_types("/api/v1/listings/{listing_id}/photos", "post") == {"multipart/form-data"}
        upload = paths["/api/v1/listings"]["post"]["requestBody"]["content"]["multipart/form-data"]
        photos = components[upload["schema"]["$ref"].rsplit("/", 1)[1]]["properties"]["photos"]
        assert photos["items"] == {"type": "string", "format": "binary"}
        assert photos["maxItems"] == 8
        assert "cover" in components["CardOutput"]["properties"]
        assert "photos" in components["ListingOutput"]["properties"]


class HealthzTest:
    @pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
    def test_healthz_ok(self, api, path):
        response = api.get(path)
        assert (response.status_code, response.content) == (200, b"ok")


class RequestBodyTest:
    """Hostile bodies: the shared strict parser (mpcommon.api_parsers) behind every view."""

    @pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/signup"])
    def test_deeply_nested_json_is_400_malformed_request(self, api, path):
        response = api.post(path, data="[" * 100_000, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"] == "malformed_request"

    @pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
    def test_non_json_number_literals_are_400_malformed_request(self, api, literal):
        body = '{"username": "ada", "password": ' + literal + "}"
        response = api.post("/api/v1/auth/login", data=body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"] == "malformed_request"

    def test_body_over_the_limit_is_413_payload_too_large(self, api):
        body = '{"username": "' + "x" * 3_000_000 + '", "password": "p"}'
        response = api.post("/api/v1/auth/login", data=body, content_type="application/json")
        assert response.status_code == 413
        assert response.json() == {
            "error": "payload_too_large",
            "detail": "Request body is too large.",
        }

    @override_settings(MAX_REQUEST_BODY_BYTES=100, DATA_UPLOAD_MAX_MEMORY_SIZE=None)
    def test_body_over_the_limit_is_413_on_the_bytes_read_too(self, api):
        # Django's own check on the declared length is off: the parser still counts bytes.
        body = '{"username": "' + "x" * 200 + '", "password": "p"}'
        response = api.post("/api/v1/auth/login", data=body, content_type="application/json")
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"

    def test_body_over_the_limit_outside_drf_is_413_too(self, rf):
        from django.core.exceptions import RequestDataTooBig

        from config.errors import bad_request

        response = bad_request(rf.post("/healthz"), RequestDataTooBig("too big"))
        assert response.status_code == 413
