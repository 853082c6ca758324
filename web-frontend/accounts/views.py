"""Sign up, log in, log out, public profiles, the account page and passwords (thin:
validate, call the API, render)."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import (
    AccountForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    SignupForm,
)
from clients.experience_api import ExperienceApiError, InvalidCredentials, ValidationFailed
from core.auth import delete_auth_cookie, login_required, safe_next, set_auth_cookie
from core.forms import apply_api_errors
from favourites.state import favourited_among
from mpcommon import account_rules

logger = logging.getLogger(__name__)


def _logged_in_redirect(request, result: dict, to: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(to)
    set_auth_cookie(
        response,
        request,
        authenticator=result["authenticator"],
        expires_at=result.get("expires_at"),
    )
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = request.api.signup(
                username=data["username"], email=data["email"], password=data["password1"]
            )
        except ValidationFailed as error:
            apply_api_errors(form, error, {"password": "password1"})
        else:
            username = result.get("user", {}).get("username", data["username"])
            messages.success(request, f"Welcome, {username}! Your account is ready.")
            return _logged_in_redirect(request, result, "/")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def login(request):
    if request.method == "POST":
        form = LoginForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = request.api.login(username=data["username"], password=data["password"])
            except InvalidCredentials:
                form.add_error(None, "That username and password do not match an account.")
            except ValidationFailed as error:
                apply_api_errors(form, error)
            else:
                return _logged_in_redirect(request, result, safe_next(request, data["next"]))
    else:
        form = LoginForm(initial={"next": safe_next(request, request.GET.get("next"), "")})
    return render(request, "accounts/login.html", {"form": form})


@require_POST
def logout(request):
    """Revoke the authenticator server-side, then forget it in the browser."""
    if request.api.authenticator:
        try:
            request.api.logout()
        except ExperienceApiError as error:
            # Already expired/revoked, or the API is down: the browser still forgets the
            # cookie (HttpOnly, so no script can have copied it); the token then dies at
            # its expiry or with the periodic purge.
            logger.warning("logout: revocation failed", extra={"error": repr(error)})
    messages.info(request, "You are logged out. See you soon!")
    response = HttpResponseRedirect("/")
    delete_auth_cookie(response)
    response.auth_cookie_set = True  # nothing more for the middleware to delete
    return response


# experience-api refuses deeper profile pages (a 400).
MAX_PROFILE_PAGE = 10_000


def _profile_page(raw: str | None) -> int:
    """The ``page`` query value as a page number. Like the search page does, a value that
    is not a whole number from 1 to MAX_PROFILE_PAGE is ignored: page 1 is shown (the
    search page also names the error next to its filters; a profile has no form)."""
    try:
        page = int(raw or "1")
    except ValueError:
        return 1
    return page if 1 <= page <= MAX_PROFILE_PAGE else 1


@require_safe
def profile(request, user_id: int):
    data = request.api.user_profile(user_id, page=_profile_page(request.GET.get("page")))
    return render(
        request,
        "accounts/profile.html",
        {
            "profile": data,
            "person": data["user"],
            "favourite_ids": favourited_among(request, data.get("listings")),
        },
    )


# ---------------------------------------------------------------- account (issue 13)
ACCOUNT_URL = "/account/"


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def account(request):
    """The viewer's public profile fields; saved with a PATCH, then back here (PRG)."""
    user = request.viewer.require()
    initial = {"display_name": user.get("display_name") or "", "bio": user.get("bio") or ""}
    form = AccountForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            request.api.update_me(**form.cleaned_data)
        except ValidationFailed as error:
            apply_api_errors(form, error)
        else:
            messages.success(request, "Your profile is saved.")
            return HttpResponseRedirect(ACCOUNT_URL)
    return render(request, "accounts/account.html", {"form": form, "user": user})


def password_changed_message(revoked: int) -> str:
    if revoked <= 0:
        return "Your password is changed. You are still logged in here; no other session was open."
    sessions = "session was" if revoked == 1 else "sessions were"
    return (
        f"Your password is changed. You are still logged in here, and {revoked} other "
        f"{sessions} logged out."
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def password_change(request):
    """Change the password knowing the current one. The API revokes every other
    authenticator of the user; this browser's cookie keeps working."""
    user = request.viewer.require()
    form = PasswordChangeForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            result = request.api.change_password(
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationFailed as error:
            apply_api_errors(form, error, {"new_password": "new_password1"})
        else:
            revoked = _count(result.get("revoked") if isinstance(result, dict) else 0)
            messages.success(request, password_changed_message(revoked))
            return HttpResponseRedirect(ACCOUNT_URL)
    return render(request, "accounts/password_change.html", {"form": form})


def _count(value) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def password_reset(request):
    """Ask for a reset link. The answer is the same page whether or not an account uses
    the address (the API answers 202 either way), so it tells nobody who is a member."""
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            request.api.request_password_reset(email=form.cleaned_data["email"])
        except ValidationFailed as error:
            apply_api_errors(form, error)
        else:
            return render(
                request,
                "accounts/password_reset_sent.html",
                {"message": account_rules.MESSAGE_RESET_SENT},
            )
    return render(request, "accounts/password_reset.html", {"form": form})


# "<uidb64>.<token>": URL-safe base64 and Django's token characters. Anything else could
# not be a token: it is not sent upstream at all.
_RESET_TOKEN_FORMAT = re.compile(r"^[A-Za-z0-9_\-.]+$")


def _reset_link_invalid(request):
    return render(
        request,
        "accounts/password_reset_invalid.html",
        {"message": account_rules.MESSAGE_RESET_TOKEN_INVALID},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def password_reset_confirm(request, token: str):
    """The link from the email: the form only while the token is usable (single use,
    one hour), else the "invalid or expired" page with a way to ask again."""
    if len(token) > account_rules.RESET_TOKEN_MAX_LENGTH or not _RESET_TOKEN_FORMAT.match(token):
        return _reset_link_invalid(request)
    try:
        check = request.api.check_password_reset(token)
    except ValidationFailed:
        return _reset_link_invalid(request)
    username = str((check or {}).get("username") or "")
    form = PasswordResetForm(request.POST if request.method == "POST" else None, username=username)
    if request.method == "POST" and form.is_valid():
        try:
            request.api.confirm_password_reset(
                token=token, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationFailed as error:
            if "token" in error.fields:  # used or expired meanwhile: nothing changed
                return _reset_link_invalid(request)
            apply_api_errors(form, error, {"new_password": "new_password1"})
        else:
            # A reset logs out every session, this browser's too: forget its cookie and
            # do not ask the API who is logged in (nobody is).
            response = render(request, "accounts/password_reset_done.html", {"current_user": None})
            if request.COOKIES.get(settings.AUTH_COOKIE_NAME):
                delete_auth_cookie(response)
                response.auth_cookie_set = True
            return response
    return render(
        request, "accounts/password_reset_confirm.html", {"form": form, "username": username}
    )
