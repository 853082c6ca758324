"""Sign up, log in, log out and public profiles (thin: validate, call the API, render)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.forms import LoginForm, SignupForm
from clients.experience_api import ExperienceApiError, InvalidCredentials, ValidationFailed
from core.auth import delete_auth_cookie, safe_next, set_auth_cookie
from core.forms import apply_api_errors

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
    form = SignupForm(request.POST or None)
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
    return render(request, "accounts/profile.html", {"profile": data, "person": data["user"]})
