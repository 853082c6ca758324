"""Settings of the web-frontend service, read from the environment (12-factor).

This tier holds no state of its own: no database, no sessions. Everything a page shows
comes from the experience API; the only thing the browser keeps is the ``auth`` cookie
(the authenticator) plus Django's CSRF and message cookies. Two instances run from this
code behind HAProxy, so nothing here may depend on which instance serves a request.
"""

import os
from pathlib import Path

import environ

from mpcommon.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Needed only when the site is served under another origin than the Host header shows
# (e.g. https://shop.example behind a TLS terminator).
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "django.contrib.messages",
    "django.contrib.humanize",
    "core",
    "accounts",
    "listings",
    "search",
    "trade",
    "favourites",
    "saved_searches",
]

MIDDLEWARE = [
    # First: after any answer, the unread rest of a request body is read, so HAProxy can
    # reuse the connection (mpcommon.request_body).
    "mpcommon.request_body.DrainRequestBodyMiddleware",
    "mpcommon.request_id.RequestIDMiddleware",
    "mpcommon.logging.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    # Last, so it sees every exception a view raises: the one place where experience-API
    # errors become pages (503, 404, login redirect).
    "core.middleware.ExperienceApiMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    }
]

# No database in this tier (issue 5): the experience API is the only source of state.
DATABASES = {}

# Messages ("Your listing is live") travel in a signed cookie: no session store needed,
# and either instance can read what the other one set.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
CSRF_USE_SESSIONS = False
CSRF_COOKIE_HTTPONLY = False  # the token is read from the form, never from JavaScript
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
# The message cookie storage takes its flags from the SESSION_COOKIE_* settings.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"

# HAProxy sets X-Forwarded-Proto; request.is_secure() then decides the auth cookie's
# Secure flag.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    ),
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from npm (package.json), never from a CDN: the site works offline.
    ("vendor/bootstrap/css", BASE_DIR / "node_modules" / "bootstrap" / "dist" / "css"),
    ("vendor/bootstrap/js", BASE_DIR / "node_modules" / "bootstrap" / "dist" / "js"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed copies made by `python manage.py collectstatic --noinput`:
    # file names change with content, so browsers may cache them forever.
    "staticfiles": {"BACKEND": "core.storage.RememberedUrlsStaticFilesStorage"},
}

# The experience API (docs/internal-contracts.md, "Experience API shapes").
EXPERIENCE_API_URL = env("EXPERIENCE_API_URL", default="http://127.0.0.1:8200").rstrip("/")
EXPERIENCE_API_CONNECT_TIMEOUT = env.float("EXPERIENCE_API_CONNECT_TIMEOUT", default=2.0)
EXPERIENCE_API_READ_TIMEOUT = env.float("EXPERIENCE_API_READ_TIMEOUT", default=5.0)
# Slower calls, each below HAProxy's timeout for its request so the page answers first:
# photo uploads (re-encoded by models-api; HAProxy UPLOAD_TIMEOUT 120 s) and the calls
# that hash a password (Argon2; HAProxy's server timeout 15 s).
EXPERIENCE_API_UPLOAD_READ_TIMEOUT = env.float("EXPERIENCE_API_UPLOAD_READ_TIMEOUT", default=100.0)
EXPERIENCE_API_CREDENTIAL_READ_TIMEOUT = env.float(
    "EXPERIENCE_API_CREDENTIAL_READ_TIMEOUT", default=12.0
)
EXPERIENCE_API_POOL_SIZE = env.int("EXPERIENCE_API_POOL_SIZE", default=16)

# The auth cookie holds the authenticator issued by models-api (via the experience API).
AUTH_COOKIE_NAME = "auth"
# Used only when the API does not say when the authenticator expires.
AUTH_COOKIE_DEFAULT_MAX_AGE = env.int("AUTH_COOKIE_DEFAULT_MAX_AGE", default=14 * 24 * 3600)

# Shown in an X-Served-By header so HAProxy balancing can be observed (set by supervisord).
WEB_INSTANCE = env("WEB_INSTANCE", default="")

LOGGING = logging_config("web-frontend", env("LOG_LEVEL", default="INFO"))
# The same JSON lines to the same stream, written by a background thread
# (core/logging.py): a request no longer waits for its access line to reach the pipe.
LOGGING["handlers"]["stdout"]["class"] = "core.logging.BackgroundStreamHandler"

SITE_NAME = env("SITE_NAME", default="Marketplace")
# Read directly: django-environ would treat a leading "$" as a reference to another variable.
CURRENCY_SYMBOL = os.environ.get("CURRENCY_SYMBOL", "$")
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Photo uploads on the listing forms (docs/selling-and-buying.md). An operator can turn
# them off (PHOTO_UPLOADS_ENABLED=false): the forms then have no file input at all, and
# listings keep the photos they have.
PHOTO_UPLOADS_ENABLED = env.bool("PHOTO_UPLOADS_ENABLED", default=True)
