from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone
from model_bakery import baker

from accounts.models import Authenticator, User


@pytest.mark.django_db
class UserTest:
    def test_username_unique_ignoring_case_in_database(self):
        baker.make(User, username="Alice")
        with pytest.raises(IntegrityError), transaction.atomic():
            baker.make(User, username="aLiCe")

    def test_natural_key_lookup_ignores_case(self):
        user = baker.make(User, username="Alice")
        assert User.objects.get_by_natural_key("ALICE") == user

    def test_public_name_falls_back_to_username(self):
        assert User(username="zoe", display_name="").public_name == "zoe"
        assert User(username="zoe", display_name="Zoë").public_name == "Zoë"


class PasswordHashingTest:
    def test_production_settings_put_argon2_first(self):
        from config import settings as production

        assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"

    @pytest.mark.django_db
    def test_password_stored_as_argon2_hash_in_production_config(self):
        from config import settings as production

        with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
            user = User.objects.create_user("hashme", "h@example.com", "Sup3r-secret-pass")
            assert user.password.startswith("argon2$")
            assert "Sup3r-secret-pass" not in user.password
            assert user.check_password("Sup3r-secret-pass")


@pytest.mark.django_db
class AuthenticatorTest:
    def test_token_is_256_bit_random_primary_key(self, user):
        first, second = baker.make(Authenticator, owner=user), baker.make(Authenticator, owner=user)
        assert len(first.token) == 43  # 32 bytes, URL-safe base64 without padding
        assert first.pk == first.token
        assert first.token != second.token

    @override_settings(AUTHENTICATOR_TTL_DAYS=3)
    def test_expiry_comes_from_setting(self, user):
        authenticator = Authenticator.objects.create(owner=user)
        expected = timezone.now() + timedelta(days=3)
        assert abs((authenticator.expires_at - expected).total_seconds()) < 5

    def test_str_never_shows_the_token(self, user):
        authenticator = Authenticator.objects.create(owner=user)
        assert authenticator.token not in str(authenticator)
