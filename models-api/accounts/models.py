"""Users and authenticators."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from mpcommon.account_rules import (
    BIO_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)


class UserManager(BaseUserManager):
    def create_user(self, username: str, email: str, password: str | None = None, **extra):
        user = self.model(username=username, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str):
        # Case-insensitive, served by the unique index on lower(username).
        return self.alias(username_lower=Lower("username")).get(username_lower=username.lower())

    def username_taken(self, username: str) -> bool:
        return (
            self.alias(username_lower=Lower("username"))
            .filter(username_lower=username.lower())
            .exists()
        )


class User(AbstractBaseUser):
    """A marketplace user. Usernames are unique ignoring case (``Alice`` == ``alice``)."""

    username = models.CharField(
        max_length=USERNAME_MAX_LENGTH, validators=[UnicodeUsernameValidator()]
    )
    email = models.EmailField(max_length=EMAIL_MAX_LENGTH)
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    # db_default too: code deployed before this column can still insert users.
    bio = models.CharField(max_length=BIO_MAX_LENGTH, blank=True, default="", db_default="")
    date_joined = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message="A user with that username already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self):
        super().clean()
        self.email = User.objects.normalize_email(self.email)
        if self.username:
            others = User.objects.exclude(pk=self.pk) if self.pk else User.objects.all()
            if (
                others.alias(username_lower=Lower("username"))
                .filter(username_lower=self.username.lower())
                .exists()
            ):
                raise ValidationError({"username": "A user with that username already exists."})

    @property
    def public_name(self) -> str:
        return self.display_name or self.username


def new_authenticator_token() -> str:
    """256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def default_expiry():
    return timezone.now() + timedelta(days=settings.AUTHENTICATOR_TTL_DAYS)


class Authenticator(models.Model):
    """A login session: the random token is the primary key; it expires."""

    token = models.CharField(primary_key=True, max_length=64, default=new_authenticator_token)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="authenticators")
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_expiry, db_index=True)

    def __str__(self) -> str:
        # Never the token itself: it is a credential and must not end up in logs.
        return f"Authenticator(owner={self.owner_id}, expires_at={self.expires_at:%Y-%m-%d})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
