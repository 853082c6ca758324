"""Writes of users and authenticators."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors
from accounts.models import Authenticator, User
from accounts.selectors import USERNAME_TAKEN, new_user_problems
from core.errors import InvalidCredentials, PermissionDenied, ValidationFailed
from mpcommon import account_rules
from notifications.services import queue_email

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


PROFILE_FIELDS = ("display_name", "bio")


def update_profile(*, user_id: int, actor: User, changes: dict) -> User:
    """Change ``display_name`` and/or ``bio`` of the user ``user_id`` as ``actor``.

    Only the user themselves may (PermissionDenied otherwise, for an unknown id too: a
    stranger learns nothing). Unknown fields raise ValidationFailed; nothing is written.
    """
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    if actor.id != user_id:
        raise PermissionDenied("Only the user may change their profile.")
    for field, value in changes.items():
        setattr(actor, field, value)
    if changes:
        actor.save(update_fields=list(changes))
    logger.info("profile updated", extra={"user_id": actor.id, "fields": sorted(changes)})
    return actor


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])


def change_password(*, user: User, current_token: str, old_password: str, new_password: str) -> int:
    """Change the password of ``user`` (who proves it with ``old_password``); revoke
    every other authenticator of theirs (the one of ``current_token`` stays) and write
    the "password changed" email. Returns how many authenticators were revoked.

    ValidationFailed (``old_password`` wrong, ``new_password`` against the password
    rules, both reported together) writes nothing.
    """
    with transaction.atomic():
        # One change at a time per user; the hash checked is the one being replaced.
        user = User.objects.select_for_update().get(pk=user.pk)
        problems: dict[str, list[str]] = {}
        if not user.check_password(old_password):
            problems["old_password"] = [account_rules.MESSAGE_OLD_PASSWORD_WRONG]
        messages = selectors.password_problems_for(user, new_password)
        if messages:
            problems["new_password"] = messages
        if problems:
            raise ValidationFailed(problems)
        _set_password(user, new_password)
        revoked, _ = Authenticator.objects.filter(owner=user).exclude(token=current_token).delete()
        queue_email(
            to=user.email,
            kind=account_rules.EMAIL_PASSWORD_CHANGED,
            subject="Your password was changed",
            body=_password_changed_body(user),
        )
    logger.info("password changed", extra={"user_id": user.id, "revoked": revoked})
    return revoked


def _password_changed_body(user: User) -> str:
    return (
        f"Hello {user.public_name},\n\n"
        f'The password of your marketplace account "{user.username}" was just changed, '
        "and every other session of yours was logged out.\n\n"
        "If that was not you, choose a new password now:\n"
        f"{settings.PUBLIC_URL}/password-reset/\n"
    )


def request_password_reset(*, email: str) -> int:
    """Write a reset-link email to each active user with this address (ignoring case).

    Returns how many were written; callers answer the same whatever it is (unknown
    address, inactive user, or throttled by queue_email), so nobody can probe which
    addresses have accounts.
    """
    written = 0
    with transaction.atomic():
        for user in User.objects.filter(email__iexact=email.strip(), is_active=True).order_by("pk"):
            link = f"{settings.PUBLIC_URL}/password-reset/{selectors.reset_token_for(user)}/"
            email_row = queue_email(
                to=user.email,
                kind=account_rules.EMAIL_PASSWORD_RESET,
                subject="Reset your marketplace password",
                body=_reset_body(user, link),
            )
            written += email_row is not None
    logger.info("password reset requested", extra={"emails_written": written})
    return written


def _reset_body(user: User, link: str) -> str:
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    return (
        f"Hello {user.public_name},\n\n"
        f"Someone asked to reset the password of your marketplace account "
        f'"{user.username}". To choose a new one, open this link (it works once, '
        f"for {minutes} minutes):\n\n"
        f"{link}\n\n"
        "If you did not ask for this, ignore this email: your password stays as it is.\n"
    )


def _invalid_reset_token() -> ValidationFailed:
    return ValidationFailed({"token": [account_rules.MESSAGE_RESET_TOKEN_INVALID]})


def check_reset_token(*, token: str) -> User:
    """The user the reset token is for; ValidationFailed ``token`` if used, expired or
    garbled."""
    user = selectors.user_for_reset_token(token)
    if user is None:
        raise _invalid_reset_token()
    return user


def reset_password(*, token: str, new_password: str) -> tuple[User, int]:
    """Set a new password with a reset token and revoke every authenticator of the
    user; returns (user, authenticators revoked).

    ValidationFailed ``token`` (used, expired, garbled) or ``new_password`` (the
    password rules) changes nothing. The user's row is locked before the token is
    checked: of two confirms with one token, the second sees the new hash and fails.
    """
    with transaction.atomic():
        user = selectors.user_for_reset_token(token, lock=True)
        if user is None:
            raise _invalid_reset_token()
        messages = selectors.password_problems_for(user, new_password)
        if messages:
            raise ValidationFailed({"new_password": messages})
        _set_password(user, new_password)
        revoked, _ = Authenticator.objects.filter(owner=user).delete()
    logger.info("password reset", extra={"user_id": user.id, "revoked": revoked})
    return user, revoked


def revoke_authenticator(*, token: str) -> None:
    """Delete the authenticator (logout); revoking an unknown token is not an error."""
    Authenticator.objects.filter(token=token).delete()


def purge_expired_authenticators(*, now: datetime | None = None) -> int:
    """Delete every expired authenticator; returns how many were deleted."""
    deleted, _ = Authenticator.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
