"""Reads of users and authenticators."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

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


def password_problems_for(user: User, password: str) -> list[str]:
    """The password rules' messages about ``password`` as a new password of ``user``
    (it must not resemble the user's own username, email or display name)."""
    return account_rules.password_problems(
        password, username=user.username, email=user.email, display_name=user.display_name
    )


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


# ---------------------------------------------------------------- password reset tokens
# Django's PasswordResetTokenGenerator: an HMAC (SECRET_KEY) of the user's id, password
# hash, last_login, email and the time it was made, valid PASSWORD_RESET_TIMEOUT. Setting
# a new password changes the hash, so a token works once. Logging in also moves
# last_login (services.issue_authenticator sets it), which retires a link requested
# before: harmless, a new one can be asked for. Without last_login the password hash
# alone would still make the token single use.


def reset_token_for(user: User) -> str:
    """The public reset token of ``user``: ``<uidb64>.<token>`` (one URL segment)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return (
        f"{uidb64}{account_rules.RESET_TOKEN_SEPARATOR}{default_token_generator.make_token(user)}"
    )


def user_for_reset_token(public_token: str, *, lock: bool = False) -> User | None:
    """The active user a public reset token was made for while it is still valid (not
    used, not expired, not garbled), else None. ``lock``: row-lock the user (inside a
    transaction) before the token is checked, so two confirms cannot both pass."""
    uidb64, separator, token = public_token.partition(account_rules.RESET_TOKEN_SEPARATOR)
    if not separator or not uidb64 or not token:
        return None
    try:
        user_id = int(urlsafe_base64_decode(uidb64).decode("ascii"))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    if not 0 < user_id <= MAX_BIGINT:
        return None
    users = User.objects.filter(pk=user_id, is_active=True)
    user = (users.select_for_update() if lock else users).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user
