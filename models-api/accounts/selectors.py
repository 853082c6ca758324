"""Reads of users and authenticators."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Authenticator, User
from core.errors import NotAuthenticated, NotFound
from mpcommon.api_fields import MAX_BIGINT


def user_by_id(user_id: int) -> User:
    if not 0 < user_id <= MAX_BIGINT:
        raise NotFound("User not found.")
    try:
        return User.objects.get(pk=user_id, is_active=True)
    except User.DoesNotExist as exc:
        raise NotFound("User not found.") from exc


def live_authenticator(token: str) -> Authenticator:
    """The unexpired authenticator with this token (and its owner), or NotAuthenticated."""
    authenticator = (
        Authenticator.objects.select_related("owner")
        .filter(token=token, expires_at__gt=timezone.now(), owner__is_active=True)
        .first()
    )
    if authenticator is None:
        raise NotAuthenticated("Authenticator is unknown or expired.")
    return authenticator


def user_for_authenticator(token: str) -> User:
    return live_authenticator(token).owner
