"""Settings for the unit tests: their own secrets, stubbed upstreams, an isolated Redis DB.

models-api is stubbed at the HTTP boundary with ``responses`` (so its URL need not
exist), Kafka points at a closed port (publishing must never fail a request), and the
cache uses the real Redis on a separate database and key prefix.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ["SERVICE_TOKEN"] = "test-service-token"
# Forced, not defaulted: under `make test` the stack's real URLs are in the environment.
os.environ["MODELS_API_URL"] = "http://models.test"
os.environ["ELASTICSEARCH_URL"] = "http://127.0.0.1:1"
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CACHE_KEY_PREFIX", "exp-test")
os.environ["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:1"
os.environ.setdefault("MODELS_API_BACKOFF", "0")
os.environ.setdefault("SEARCH_TIMEOUT", "0.5")

from config.settings import *  # noqa: E402,F403

LOGGING["root"]["level"] = "WARNING"  # noqa: F405
