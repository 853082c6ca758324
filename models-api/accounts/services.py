"""Writes of users and authenticators."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Authenticator, User
from accounts.selectors import USERNAME_TAKEN, new_user_problems
from core.errors import InvalidCredentials, ValidationFailed

logger = logging.getLogger(__name__)


def create_user(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a user with a hashed password.

    Raises ValidationFailed when the username is taken (ignoring case) or the password
    fails the password rules (``selectors.new_user_problems``; the API reports these
    together with the field errors, this check stays for every other caller). The
    password itself is never logged or returned.
    """
    fields = new_user_problems(
        username=username, email=email, password=password, display_name=display_name
    )
    if fields:
        raise ValidationFailed(fields)
    candidate = User(
        username=username, email=User.objects.normalize_email(email), display_name=display_name
    )
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
