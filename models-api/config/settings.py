"""Settings of models-api, the service that owns the marketplace database.

Everything comes from the environment (12-factor). Defaults are the native stack's;
secrets (``DJANGO_SECRET_KEY``, ``SERVICE_TOKEN``) have no default outside tests.
"""

from pathlib import Path

import environ

from mpcommon import account_rules
from mpcommon.events import TOPIC_LISTINGS
from mpcommon.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# The shared secret every caller must present in X-Service-Token. Empty means "refuse
# every request" (see core.authentication), never "allow every request".
SERVICE_TOKEN = env.str("SERVICE_TOKEN", default="")

AUTHENTICATOR_TTL_DAYS = env.int("AUTHENTICATOR_TTL_DAYS", default=14)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "catalogue",
    "outbox",
    "trade",
    "photos",
    "notifications",
    "favourites",
    "alerts",
    "huey.contrib.djhuey",
]

MIDDLEWARE = [
    "mpcommon.request_id.RequestIDMiddleware",
    "mpcommon.logging.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# Internal JSON API: no slash redirects, no templates, no sessions, no CSRF (no cookies).
APPEND_SLASH = False
TEMPLATES: list = []

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default="postgres://marketplace:marketplace@127.0.0.1:5432/marketplace"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})
# Fail fast instead of hanging a worker when PostgreSQL is unreachable.
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", 5))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# auth.E003 wants a case-sensitive unique username; ours is stricter: a unique index on
# lower(username) (accounts.User.Meta.constraints) makes "Alice" and "alice" one user.
SILENCED_SYSTEM_CHECKS = ["auth.E003"]
# Argon2 first: new passwords are hashed with it, older hashes are upgraded on login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# The experience API checks the same rules (mpcommon.account_rules) before calling us.
AUTH_PASSWORD_VALIDATORS = account_rules.PASSWORD_VALIDATORS

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# Request bodies: a general limit and a larger one for the batch endpoints (bulk view
# counts, the whole recommendation set). Larger bodies get 413 (core.views and
# mpcommon.api_parsers, which also refuses JSON nested deeper than 32 levels).
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=256 * 1024)
MAX_BULK_REQUEST_BODY_BYTES = env.int("MAX_BULK_REQUEST_BODY_BYTES", default=16 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(MAX_REQUEST_BODY_BYTES, MAX_BULK_REQUEST_BODY_BYTES)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.authentication.ServiceTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.authentication.HasServiceToken"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mpcommon.api_parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "models-api (internal)",
    "DESCRIPTION": (
        "The data layer of the marketplace: users, authenticators, categories, listings, "
        "view counts and recommendations. Internal only: every request carries "
        "`X-Service-Token`; requests acting for a user also carry `X-Authenticator`. "
        'Errors are `{"error": code, "detail": message, "fields": {field: [messages]}}` '
        "(`fields` only on 400)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["core.authentication.HasServiceToken"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ListingStatusEnum": "catalogue.models.ListingStatus",
        "ListingConditionEnum": "catalogue.models.ListingCondition",
        "SellerSettableStatusEnum": "catalogue.serializers.SELLER_STATUS_CHOICES",
        "OrderStatusEnum": "mpcommon.trade_rules.ORDER_STATES",
        "OrderActionEnum": "mpcommon.trade_rules.ORDER_ACTIONS",
    },
}

# Outbox relay (python manage.py relay_outbox).
# The topic listing events are recorded for (the contract's, mpcommon.events); tests use
# their own.
OUTBOX_LISTINGS_TOPIC = env("OUTBOX_LISTINGS_TOPIC", default=TOPIC_LISTINGS)
# Put in front of the photos/orders/messages topics (outbox.services.record_event).
OUTBOX_TOPIC_PREFIX = env("OUTBOX_TOPIC_PREFIX", default="")
OUTBOX_RELAY_BATCH_SIZE = env.int("OUTBOX_RELAY_BATCH_SIZE", default=200)
# Fallback poll interval: LISTEN/NOTIFY wakes the relay at once; polling covers the rest.
OUTBOX_RELAY_POLL_SECONDS = env.float("OUTBOX_RELAY_POLL_SECONDS", default=2.0)
OUTBOX_RELAY_MAX_BACKOFF_SECONDS = env.float("OUTBOX_RELAY_MAX_BACKOFF_SECONDS", default=30.0)
# Sent rows are kept this long (for debugging and replays), then purged by the relay.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)

# ---- Email (docs/accounts-and-notifications.md): rows in notifications_email, sent by
# the mailer (Huey on Redis: python manage.py run_huey) through the local SMTP catcher.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000")  # links in emails
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("MAIL_SMTP_PORT", default=1025)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Marketplace <no-reply@marketplace.invalid>"
)
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=20)
EMAIL_RETRY_MAX_DELAY_SECONDS = env.int("EMAIL_RETRY_MAX_DELAY_SECONDS", default=300)
PASSWORD_RESET_TIMEOUT = account_rules.PASSWORD_RESET_TIMEOUT_SECONDS
HUEY = {
    "huey_class": "huey.RedisHuey",
    "name": "marketplace-mail",
    "immediate": False,
    "connection": {"url": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")},
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = logging_config("models-api", LOG_LEVEL)
# The mailer (run_huey) gives the "huey" logger a plain-text handler of its own unless it
# has one: ours, not propagated, so each line is written once, as JSON.
LOGGING["loggers"]["huey"] = {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False}

SECURE_CONTENT_TYPE_NOSNIFF = True
