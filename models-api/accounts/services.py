"""Writes of users and authenticators."""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Authenticator, User
from core.errors import InvalidCredentials, ValidationFailed

logger = logging.getLogger(__name__)

USERNAME_TAKEN = "A user with that username already exists."


def create_user(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a user with a hashed password.

    Raises ValidationFailed when the username is taken (ignoring case) or the password
    fails the configured validators. The password itself is never logged or returned.
    """
    candidate = User(
        username=username, email=User.objects.normalize_email(email), display_name=display_name
    )
    fields: dict[str, list[str]] = {}
    if User.objects.username_taken(username):
        fields["username"] = [USERNAME_TAKEN]
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        fields["password"] = list(exc.messages)
    if fields:
        raise ValidationFailed(fields)
    candidate.set_password(password)
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError as exc:
        # Lost a race against a concurrent sign-up with the same username.
        raise ValidationFailed({"username": [USERNAME_TAKEN]}) from exc
    logger.info("user created", extra={"user_id": candidate.id})
    return candidate


def issue_authenticator(*, username: str, password: str) -> Authenticator:
    """Check credentials and issue a new authenticator for the user.

    Raises InvalidCredentials for an unknown username, a wrong password or an inactive
    user, taking about as long in each case so usernames cannot be probed by timing.
    """
    try:
        user = User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        User().set_password(password)  # same hashing cost as a real check
        raise InvalidCredentials() from None
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    authenticator = Authenticator.objects.create(owner=user)
    User.objects.filter(pk=user.pk).update(last_login=authenticator.created)
    logger.info("authenticator issued", extra={"user_id": user.id})
    return authenticator


def revoke_authenticator(*, token: str) -> None:
    """Delete the authenticator (logout); revoking an unknown token is not an error."""
    Authenticator.objects.filter(token=token).delete()


def purge_expired_authenticators(*, now: datetime | None = None) -> int:
    """Delete every expired authenticator; returns how many were deleted."""
    deleted, _ = Authenticator.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
