"""Test settings: the production settings plus what only tests may change.

Secrets get throwaway values here (tests set their own); the password hasher is a fast
one so the suite stays quick (accounts/tests checks Argon2 is first in production).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SERVICE_TOKEN", "test-service-token")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests send this token; never the one from the running stack's environment.
SERVICE_TOKEN = "test-service-token"
# Outbox rows name a topic that does not exist (the broker never auto-creates one): a
# test publishes only to a topic of its own (outbox/tests/conftest.py), never into the
# running stack's "listings".
OUTBOX_LISTINGS_TOPIC = "test-models-no-topic.listings"
OUTBOX_TOPIC_PREFIX = "test-models-no-topic."
# Two checkouts (or two people) testing on one PostgreSQL at once each need their own
# test database: TEST_DATABASE_SUFFIX=_a gives test_marketplace_a.
if os.environ.get("TEST_DATABASE_SUFFIX"):
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_{DATABASES['default']['NAME']}{os.environ['TEST_DATABASE_SUFFIX']}"  # noqa: F405
    }
# Huey runs tasks in the calling thread in tests (no Redis queue); the tests that are
# about the queue itself use their own.
HUEY = {**HUEY, "immediate": True}  # noqa: F405
