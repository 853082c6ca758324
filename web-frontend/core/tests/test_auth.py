"""The auth cookie rules: next redirects, cookie lifetime, cookie format."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import RequestFactory

from core.auth import auth_cookie_max_age, authenticator_from, safe_next


class SafeNextTest:
    @pytest.mark.parametrize(
        "candidate",
        ["/", "/listings/new/", "/search/?q=a&page=2", "/users/3/#top"],
    )
    def test_local_paths_accepted(self, candidate):
        assert safe_next(RequestFactory().get("/"), candidate) == candidate

    @pytest.mark.parametrize(
        "candidate",
        [
            None,
            "",
            "https://evil.example/",
            "http://testserver/",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "listings/new/",
            " /x",
        ],
    )
    def test_everything_else_refused(self, candidate):
        assert safe_next(RequestFactory().get("/"), candidate) == "/"


class AuthCookieMaxAgeTest:
    def test_matches_authenticator_expiry(self):
        now = datetime(2025, 1, 1, tzinfo=UTC)
        assert auth_cookie_max_age("2025-01-15T00:00:00Z", now=now) == 14 * 86400

    def test_expired_is_zero(self):
        now = datetime(2025, 1, 1, tzinfo=UTC)
        assert auth_cookie_max_age("2024-12-31T00:00:00+00:00", now=now) == 0

    def test_unknown_expiry_uses_default(self, settings):
        settings.AUTH_COOKIE_DEFAULT_MAX_AGE = 123
        assert auth_cookie_max_age(None) == 123
        assert auth_cookie_max_age("soon") == 123


class AuthenticatorFromTest:
    def test_well_formed_token_read(self, settings):
        request = RequestFactory().get("/")
        request.COOKIES[settings.AUTH_COOKIE_NAME] = "abcDEF123_-" * 4
        assert authenticator_from(request) == "abcDEF123_-" * 4

    @pytest.mark.parametrize(
        "value", ["", "short", "has space in it ......", "x" * 200, "a\r\nb" * 8]
    )
    def test_malformed_token_ignored(self, settings, value):
        request = RequestFactory().get("/")
        request.COOKIES[settings.AUTH_COOKIE_NAME] = value
        assert authenticator_from(request) is None
