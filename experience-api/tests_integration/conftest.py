"""Integration tests against the live stack (``make up``), through HAProxy.

The API is the stack's public door (``testsupport.api_url()``: ``PUBLIC_URL`` from the
stack's settings, so ``HAPROXY_PORT=9000 make up`` is followed); the run fails, never
skips, when it does not answer.
"""

import pytest

import testsupport


@pytest.fixture(scope="session")
def base_url():
    testsupport.require_site(testsupport.public_url())
    return testsupport.api_url()


@pytest.fixture(scope="session")
def session_user(base_url) -> testsupport.Account:
    """A fresh user signed up through the public API (from its own loopback address)."""
    return testsupport.signup(base_url, prefix="it")
