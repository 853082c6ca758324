"""Settings for the unit tests: their own secrets, stubbed models-api, the real engines.

models-api is stubbed at the HTTP boundary with ``responses`` (so its URL need not
exist). Elasticsearch and Kafka are the real local engines (``ELASTICSEARCH_URL`` and
``KAFKA_BOOTSTRAP_SERVERS`` as ``ops/stack.py run`` exports them under ``make test``,
else the native defaults), but never the stack's own data: the alias and topics below
name nothing, and every test that searches or consumes makes its own (the fixtures of
``conftest.py``: ``listings_index``, ``kafka_topic``), deleted afterwards. The tests of
an unreachable engine point at a closed port explicitly (``search_engine_unreachable``,
``kafka_unreachable``). The cache uses the real Redis on a separate database, under a
key prefix of the run's own.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ["SERVICE_TOKEN"] = "test-service-token"
# Forced, not defaulted: under `make test` the stack's real URLs are in the environment.
os.environ["MODELS_API_URL"] = "http://models.test"
os.environ.setdefault("ELASTICSEARCH_URL", "http://127.0.0.1:9200")
os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
# Forced: a test that forgot its own index or topic finds nothing (503 / not published)
# instead of the running stack's listings, and never writes into the stack's topics.
os.environ["SEARCH_LISTINGS_ALIAS"] = "test-exp-no-index"
os.environ["KAFKA_PAGE_VIEWS_TOPIC"] = "test-exp-no-topic.page-views"
os.environ["KAFKA_LISTINGS_TOPIC"] = "test-exp-no-topic.listings"
os.environ["CACHE_INVALIDATOR_GROUP"] = "test-exp-no-group"
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Per run: two runs at once (two engineers, CI) must not empty or bump each other's cache.
os.environ.setdefault("CACHE_KEY_PREFIX", f"exp-test-{os.getpid()}")
os.environ.setdefault("MODELS_API_BACKOFF", "0")
# Generous: a real engine on a loaded CI machine; the tests about waiting set their own.
os.environ["SEARCH_TIMEOUT"] = "10"

from config.settings import *  # noqa: E402,F403

LOGGING["root"]["level"] = "WARNING"  # noqa: F405
