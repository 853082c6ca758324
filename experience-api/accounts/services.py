"""Account flows: sign up, log in, log out, passwords and the profile (models-api owns
users and authenticators; docs/accounts-and-notifications.md).

Whenever models-api revokes authenticators (a password change: the user's others; a
reset: all) or changes the user, the user's cached resolutions are overruled at once
(accounts.selectors.forget_resolutions_of_user), so a revoked authenticator stops
working here with the next request.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from accounts.selectors import INVALID, authenticator_cache_key, forget_resolutions_of_user
from accounts.users import ApiUser
from clients import models_api
from mpcommon import account_rules
from mpcommon.errors import INVALID_CREDENTIALS

logger = logging.getLogger(__name__)


def _session_body(issued: dict) -> dict:
    return {
        "authenticator": issued["token"],
        "expires_at": issued["expires_at"],
        "user": issued["user"],
    }


def sign_up(*, username: str, email: str, password: str, display_name: str = "") -> dict:
    """Create the user, then log them in; return ``{"authenticator", "expires_at", "user"}``.

    Raises ``ValidationFailed`` (per field, nothing created) or ``ModelsApiUnavailable``.
    If the user was created but the authenticator could not be issued, the error is
    raised all the same; the account exists and the user can log in.
    """
    models_api.get_client().create_user(
        username=username, email=email, password=password, display_name=display_name or None
    )
    return log_in(username=username, password=password)


def log_in(*, username: str, password: str) -> dict:
    """Issue an authenticator for valid credentials (``NotAuthenticated`` otherwise)."""
    try:
        issued = models_api.get_client().create_authenticator(username=username, password=password)
    except models_api.NotAuthenticated as exc:
        raise models_api.NotAuthenticated(
            "Invalid username or password.", code=INVALID_CREDENTIALS
        ) from exc
    return _session_body(issued)


def log_out(*, token: str) -> None:
    """Revoke the authenticator in models-api and forget its cached resolution."""
    models_api.get_client().revoke_authenticator(token)
    # set (not delete): a resolve in flight elsewhere uses cache.add and cannot undo it.
    cache.set(authenticator_cache_key(token), INVALID, timeout=settings.AUTH_CACHE_SECONDS)


def change_password(*, user: ApiUser, old_password: str, new_password: str) -> dict:
    """Change the user's password; ``{"revoked": n}``, the other authenticators revoked.

    The caller's own authenticator stays valid (models-api keeps it; its cached
    resolution is overruled with the others' and resolved again once). Raises
    ValidationFailed (``old_password`` wrong, ``new_password`` refused by the rules).
    """
    answer = models_api.get_client().change_password(
        authenticator=user.token, old_password=old_password, new_password=new_password
    )
    forget_resolutions_of_user(user.id)
    return {"revoked": int(answer.get("revoked", 0))}


def request_password_reset(*, email: str) -> dict:
    """Ask models-api to email a reset link to ``email``; the answer never says whether
    an account uses the address.

    models-api answers 202 for any address (unknown, inactive, throttled included); any
    refusal it might still give is logged and answered the same. Only an outage is
    raised (ModelsApiUnavailable, 503): then nothing was recorded, and saying "on its
    way" would be false for every address alike.
    """
    try:
        models_api.get_client().request_password_reset(email=email)
    except models_api.ModelsApiUnavailable:
        raise
    except models_api.ModelsApiError as exc:
        logger.warning(
            "password reset request refused by models-api",
            extra={"error": type(exc).__name__, "error_code": exc.code, "status": exc.status},
        )
    return {"detail": account_rules.MESSAGE_RESET_SENT}


def check_password_reset(*, token: str) -> dict:
    """``{"username"}`` for a usable reset token (ValidationFailed on ``token`` if not)."""
    answer = models_api.get_client().check_password_reset(token=token)
    return {"username": answer["username"]}


def confirm_password_reset(*, token: str, new_password: str) -> dict:
    """Set a new password with a reset token; ``{"user_id", "revoked": n}``.

    models-api revokes every authenticator of the user; their cached resolutions here
    are overruled at once. Raises ValidationFailed (``token``, ``new_password``).
    """
    answer = models_api.get_client().confirm_password_reset(token=token, new_password=new_password)
    user_id = int(answer["user_id"])
    forget_resolutions_of_user(user_id)
    return {"user_id": user_id, "revoked": int(answer.get("revoked", 0))}


OWN_USER_FIELDS = ("id", "username", "display_name", "email", "bio", "date_joined")


def update_profile(*, user: ApiUser, changes: dict) -> dict:
    """Change the user's ``display_name`` and/or ``bio``; the user's own view of itself.

    Every cached resolution of the user (their other sessions too) is overruled, so
    ``GET /me`` shows the change at once. Raises ValidationFailed, PermissionDenied.
    """
    answer = models_api.get_client().update_user(
        authenticator=user.token, user_id=user.id, changes=changes
    )
    forget_resolutions_of_user(user.id)
    # The user as models-api now has it; the email (absent from a public user) as known.
    own = user.as_dict()
    own.update({name: answer[name] for name in OWN_USER_FIELDS if name in answer})
    own["bio"] = own.get("bio") or ""
    return own
