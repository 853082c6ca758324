"""Reads of users and authenticators."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import Authenticator, User
from core.errors import NotAuthenticated, NotFound
from mpcommon import account_rules
from mpcommon.api_fields import MAX_BIGINT

USERNAME_TAKEN = "A user with that username already exists."


def new_user_problems(
    *, username: str = "", email: str = "", password: str | None = None, display_name: str = ""
) -> dict[str, list[str]]:
    """Per-field messages of the account rules a new user breaks ({} when none).

    The rules beyond each field's own: the username taken (ignoring case) and the
    password rules of mpcommon.account_rules (the password must not resemble the other
    fields). Empty or None arguments are not checked (their field is invalid already).
    """
    problems: dict[str, list[str]] = {}
    if username and User.objects.username_taken(username):
        problems["username"] = [USERNAME_TAKEN]
    if password is not None:
        messages = account_rules.password_problems(
            password,
            username=username,
            email=User.objects.normalize_email(email) if email else "",
            display_name=display_name,
        )
        if messages:
            problems["password"] = messages
    return problems


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
