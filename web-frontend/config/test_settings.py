"""Settings for the unit tests: no collectstatic needed, a fake experience API host."""

import os

# Tests set their own secret; production reads it from the environment (required).
os.environ.setdefault("DJANGO_SECRET_KEY", "web-frontend-tests-only-not-a-secret")

from config.settings import *  # noqa: E402,F403

# The experience API is stubbed at the HTTP boundary with `responses` on this host.
EXPERIENCE_API_URL = "http://exp.test"
EXPERIENCE_API_CONNECT_TIMEOUT = 0.5
EXPERIENCE_API_READ_TIMEOUT = 0.5
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WEB_INSTANCE = "web-test"
# Serve static files straight from the finders (no STATIC_ROOT, no collectstatic).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The photo forms are on, as in production (one test turns them off).
PHOTO_UPLOADS_ENABLED = True
