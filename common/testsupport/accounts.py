"""Users through the public API, and the bits of HTTP a logged-in client needs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import requests

from testsupport.edge import session as new_session
from testsupport.names import unique_word

TIMEOUT = 15
PASSWORD = "Live-suite-pass-42"


@dataclass(frozen=True)
class Account:
    """A user created by ``signup``: its credentials and the authenticator it got."""

    username: str
    password: str
    token: str
    user: dict = field(repr=False)

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def bearer(token: str) -> dict[str, str]:
    """The header the API reads an authenticator from."""
    return {"Authorization": f"Bearer {token}"}


def csrf_token(page: str) -> str:
    """The CSRF token of the (first) form in the HTML ``page``."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no csrfmiddlewaretoken in the page"
    return match.group(1)


def signup(
    api: str,
    *,
    http: requests.Session | None = None,
    prefix: str = "user",
    password: str = PASSWORD,
    display_name: str | None = None,
) -> Account:
    """Create a fresh user through ``POST {api}/auth/signup`` (asserting 201).

    Without ``http`` the request goes out on a session of its own (its own loopback
    address: see ``testsupport.edge``), so sign-ups never spend anyone's rate limit.
    """
    username = unique_word(prefix)
    body = {"username": username, "email": f"{username}@example.com", "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    own = http is None
    http = http or new_session(api)
    try:
        response = http.post(f"{api}/auth/signup", json=body, timeout=TIMEOUT)
    finally:
        if own:
            http.close()
    assert response.status_code == 201, f"sign-up: {response.status_code} {response.text}"
    answer = response.json()
    return Account(username, password, answer["authenticator"], answer["user"])


def login(api: str, username: str, password: str, *, http: requests.Session | None = None) -> str:
    """Log in through ``POST {api}/auth/login`` (asserting 200); the new authenticator."""
    own = http is None
    http = http or new_session(api)
    try:
        response = http.post(
            f"{api}/auth/login", json={"username": username, "password": password}, timeout=TIMEOUT
        )
    finally:
        if own:
            http.close()
    assert response.status_code == 200, f"log-in: {response.status_code} {response.text}"
    return response.json()["authenticator"]


def browser_login(
    public_url: str, account: Account, password: str | None = None
) -> requests.Session:
    """A browser-like session (a loopback address of its own) logged in through the
    login form, as a person does: it holds the ``auth`` and ``csrftoken`` cookies.
    ``password`` when it is no longer the account's (changed or reset since)."""
    http = new_session(public_url)
    form = http.get(f"{public_url}/login/", timeout=TIMEOUT)
    response = http.post(
        f"{public_url}/login/",
        data={
            "csrfmiddlewaretoken": csrf_token(form.text),
            "username": account.username,
            "password": password or account.password,
            "next": "/",
        },
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    assert response.status_code == 302, f"login form: {response.status_code} {response.text[:300]}"
    assert http.cookies.get("auth") and http.cookies.get("csrftoken")
    return http


def change_password(api: str, account: Account, new_password: str) -> requests.Response:
    """``POST {api}/auth/password`` as ``account`` (asserting 200), on a session of its
    own; the answer (``{"revoked": n}``: the other sessions logged out)."""
    with new_session(api) as http:
        response = http.post(
            f"{api}/auth/password",
            headers=account.headers,
            json={"old_password": account.password, "new_password": new_password},
            timeout=TIMEOUT,
        )
    assert response.status_code == 200, f"password: {response.status_code} {response.text}"
    return response
