"""mpcommon has no Django project of its own: its DRF fields run on minimal settings."""

import django
from django.conf import settings

if not settings.configured:
    settings.configure(INSTALLED_APPS=["rest_framework"], USE_TZ=True, USE_I18N=False)
    django.setup()
