"""What every live suite (the tests that drive the running stack) needs, written once.

- ``settings``: where the stack is (``ops/stack.py``'s ``load_env``: ``ops/defaults.env``
  overridden by the environment, so ``HAPROXY_PORT=9000 make up && make test`` is
  followed); ``require_site`` fails the run, never skips it, when the site is down.
- ``edge``: HTTP sessions that talk to HAProxy from a loopback address of their own, so
  the per-address rate limit of the credential endpoints is never shared between
  suites, tests or runs; only the tests about the rate limit spend a bucket.
- ``accounts``: sign-up and log-in through the public API (and through the login form:
  ``browser_login``), bearer headers, CSRF tokens.
- ``names``: unique search-friendly words for users and listings.
- ``listings``: a valid listing body for the public API, and creating one.
- ``waiting``: ``wait_until``, the one polling wait (condition, deadline, interval,
  message).
- ``mail``: what the stack sent, read from MailDev's REST API: ``list_messages``,
  ``messages_to``, ``wait_for_email``, ``link_in`` (the link in a message's text) and
  ``unique_address``.

Only the standard library, ``requests`` and ``pytest``: it also runs in the Selenium
container, which has no Django.
"""

from testsupport.accounts import (
    Account,
    bearer,
    browser_login,
    change_password,
    csrf_token,
    login,
    signup,
)
from testsupport.edge import (
    LoopbackSourceAdapter,
    attempts_until_refused,
    forget_auth_attempts,
    new_source_address,
    session,
)
from testsupport.listings import create_listing, listing_fields
from testsupport.mail import (
    link_in,
    list_messages,
    messages_to,
    recipients,
    unique_address,
    wait_for_email,
)
from testsupport.names import unique_password, unique_word
from testsupport.processes import process_running
from testsupport.settings import (
    api_url,
    mail_web_url,
    public_url,
    require_site,
    stack_settings,
)
from testsupport.stubs import serving
from testsupport.waiting import wait_until

__all__ = [
    "Account",
    "LoopbackSourceAdapter",
    "api_url",
    "attempts_until_refused",
    "bearer",
    "browser_login",
    "change_password",
    "create_listing",
    "csrf_token",
    "forget_auth_attempts",
    "link_in",
    "list_messages",
    "listing_fields",
    "login",
    "mail_web_url",
    "messages_to",
    "new_source_address",
    "process_running",
    "public_url",
    "recipients",
    "require_site",
    "serving",
    "session",
    "signup",
    "stack_settings",
    "unique_address",
    "unique_password",
    "unique_word",
    "wait_for_email",
    "wait_until",
]
