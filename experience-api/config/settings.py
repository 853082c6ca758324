"""Settings of the experience API, read from the environment (12-factor).

This service has no database: it composes models-api (HTTP), Redis (cache), Kafka
(page-view events) and the search engine. See docs/internal-contracts.md for the
variables shared with the other services.
"""

from pathlib import Path

import environ

from mpcommon import photo_rules
from mpcommon.events import TOPIC_LISTINGS, TOPIC_PAGE_VIEWS
from mpcommon.logging import logging_config
from mpcommon.search_index import LISTINGS_ALIAS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "rest_framework",
    "drf_spectacular",
    # Apps registered only because they ship management commands.
    "caching",
]

MIDDLEWARE = [
    # First: after any answer, the unread rest of a request body is read, so HAProxy can
    # reuse the connection (mpcommon.request_body).
    "mpcommon.request_body.DrainRequestBodyMiddleware",
    "mpcommon.request_id.RequestIDMiddleware",
    "mpcommon.logging.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# No database: every piece of data is owned by models-api.
DATABASES: dict = {}

# URLs are matched with and without a trailing slash; never redirect an API call.
APPEND_SLASH = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config("experience-api", LOG_LEVEL)

# --- Cache (Redis) --------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHE_ENABLED = env.bool("CACHE_ENABLED", default=True)
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="exp")

if CACHE_ENABLED:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SERIALIZER": "caching.serializers.OrjsonSerializer",
                # Redis down must cost milliseconds, not seconds: the site then runs uncached.
                "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.2),
                "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.3),
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# Fresh lifetimes of cached pages; after that an entry is served stale for at most
# CACHE_STALE_SECONDS while one worker recomputes it (see caching/cache.py).
HOME_CACHE_SECONDS = env.int("HOME_CACHE_SECONDS", default=30)
DETAIL_CACHE_SECONDS = env.int("DETAIL_CACHE_SECONDS", default=60)
CATEGORIES_CACHE_SECONDS = env.int("CATEGORIES_CACHE_SECONDS", default=300)
CACHE_STALE_SECONDS = env.int("CACHE_STALE_SECONDS", default=120)
CACHE_LOCK_SECONDS = env.float("CACHE_LOCK_SECONDS", default=5.0)
CACHE_LOCK_WAIT_SECONDS = env.float("CACHE_LOCK_WAIT_SECONDS", default=1.0)
AUTH_CACHE_SECONDS = env.int("AUTH_CACHE_SECONDS", default=30)
# How long the hearts' state of a set of listings may be reused per user; every
# favourite/unfavourite through this API drops it at once (favourites.selectors).
FAVOURITE_IDS_CACHE_SECONDS = env.int("FAVOURITE_IDS_CACHE_SECONDS", default=300)
# How long a user's unread-message count (the header badge) may be reused.
UNREAD_CACHE_SECONDS = env.int("UNREAD_CACHE_SECONDS", default=5)

# --- models-api -----------------------------------------------------------------------
MODELS_API_URL = env("MODELS_API_URL", default="http://127.0.0.1:8300").rstrip("/")
SERVICE_TOKEN = env("SERVICE_TOKEN")
MODELS_API_CONNECT_TIMEOUT = env.float("MODELS_API_CONNECT_TIMEOUT", default=0.5)
MODELS_API_READ_TIMEOUT = env.float("MODELS_API_READ_TIMEOUT", default=3.0)
# Calls carrying photo uploads: models-api decodes and re-encodes up to 8 photos before
# answering. Below HAProxy's 120 s upload timeout (UPLOAD_TIMEOUT), so we answer first.
MODELS_API_UPLOAD_READ_TIMEOUT = env.float("MODELS_API_UPLOAD_READ_TIMEOUT", default=60.0)
# Calls that hash a password (Argon2): sign-up, log-in, password change and reset. Below
# web-frontend's 12 s for the same calls and HAProxy's 15 s server timeout.
MODELS_API_CREDENTIAL_READ_TIMEOUT = env.float("MODELS_API_CREDENTIAL_READ_TIMEOUT", default=10.0)
MODELS_API_RETRIES = env.int("MODELS_API_RETRIES", default=2)
MODELS_API_BACKOFF = env.float("MODELS_API_BACKOFF", default=0.1)
MODELS_API_POOL_SIZE = env.int("MODELS_API_POOL_SIZE", default=20)
# Threads used to make independent models-api calls of one page concurrently.
CONCURRENT_CALLS_WORKERS = env.int("CONCURRENT_CALLS_WORKERS", default=8)

# --- search engine --------------------------------------------------------------------
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="http://127.0.0.1:9200")
# The alias searched (a re-index swaps the concrete index under it); tests use their own.
SEARCH_LISTINGS_ALIAS = env("SEARCH_LISTINGS_ALIAS", default=LISTINGS_ALIAS)
SEARCH_TIMEOUT = env.float("SEARCH_TIMEOUT", default=2.0)
SEARCH_PAGE_SIZE = 20
SEARCH_MAX_PAGE = env.int("SEARCH_MAX_PAGE", default=50)
# Results pages are cached briefly (search/selectors.py): listing events invalidate
# them, view counts (the "hot" order) are at most SEARCH_CACHE_SECONDS old. Past that an
# entry is served stale only while one worker refreshes it, or when the engine fails.
SEARCH_CACHE_SECONDS = env.float("SEARCH_CACHE_SECONDS", default=10.0)
SEARCH_CACHE_STALE_SECONDS = env.float("SEARCH_CACHE_STALE_SECONDS", default=20.0)
# The invalidator drops cached searches this many seconds after a listing event, when
# the indexer (consuming the same event) has made the change searchable: the first
# delay fits the usual indexing delay (~1.1 s), the second a slow one. 0 = at once.
SEARCH_CACHE_INVALIDATION_DELAYS = env.list(
    "SEARCH_CACHE_INVALIDATION_DELAYS", cast=float, default=[1.5, 5.0]
)

# --- Kafka (page views) ---------------------------------------------------------------
# Bootstrap servers come from mpcommon.kafka_config (KAFKA_BOOTSTRAP_SERVERS). The topics
# are the contract's (mpcommon.events); tests publish and consume on their own.
KAFKA_PAGE_VIEWS_TOPIC = env("KAFKA_PAGE_VIEWS_TOPIC", default=TOPIC_PAGE_VIEWS)
KAFKA_LISTINGS_TOPIC = env("KAFKA_LISTINGS_TOPIC", default=TOPIC_LISTINGS)
PAGE_VIEW_QUEUE_SIZE = env.int("PAGE_VIEW_QUEUE_SIZE", default=10000)
CACHE_INVALIDATOR_GROUP = env("CACHE_INVALIDATOR_GROUP", default="experience-api-cache")

# --- Request bodies -------------------------------------------------------------------
# Our largest legitimate body (a listing) is well under this; larger bodies get 413
# payload_too_large, from Django's own check on the declared length (RequestDataTooBig)
# or from mpcommon.api_parsers on the bytes actually read.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# Photo uploads (multipart/form-data, only on the endpoints that take photos:
# listings/uploads.py) may be as large as every photo at its limit plus the form
# fields; the rules' number, not a knob. Django counts only the text fields of a
# multipart body against DATA_UPLOAD_MAX_MEMORY_SIZE above (a listing's fields are far
# below it) and hands files to its upload handlers: up to FILE_UPLOAD_MAX_MEMORY_SIZE
# (a whole body of at most 2.5 MB) in memory, larger ones spooled to temporary files,
# deleted when the request ends. A file part past MAX_PHOTOS_PER_LISTING ends the
# parse at once (400 on photos).
MAX_UPLOAD_BODY_BYTES = photo_rules.MAX_UPLOAD_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, said here on purpose
DATA_UPLOAD_MAX_NUMBER_FILES = photo_rules.MAX_PHOTOS_PER_LISTING

# --- DRF / OpenAPI --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["config.renderers.OrjsonRenderer"],
    # Size limit (413), nesting limit, no NaN/Infinity: mpcommon.api_parsers.
    "DEFAULT_PARSER_CLASSES": ["mpcommon.api_parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.negotiation.AlwaysJSONNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    # No django.contrib.auth: users live in models-api.
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace experience API",
    "DESCRIPTION": "Public JSON API: one endpoint per page or screen.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["config.schema.canonical_paths"],
    # One named enum per choice set of the shared rules (several fields are "status").
    "ENUM_NAME_OVERRIDES": {
        "ListingStatusEnum": "mpcommon.listing_rules.STATUS_VALUES",
        "SellerSettableStatusEnum": "mpcommon.listing_rules.SELLER_SETTABLE_STATUSES",
        "OrderStateEnum": "mpcommon.trade_rules.ORDER_STATE_VALUES",
        "OrderActionEnum": "mpcommon.trade_rules.ORDER_ACTIONS",
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
