"""WSGI entry point, served by granian (``granian --interface wsgi config.wsgi:application``).

granian imports this module in each worker process it forks, so what follows runs once
per worker, after the application is loaded:
- the process environment is kept out of each request's environ, and the worker exits
  when granian's main process dies (config/serving.py);
- ``gc.freeze()``: a full collection walks every tracked object, and a worker starts with
  about 96,000 of them (Django, DRF, our modules), about 17 ms with the GIL held, during
  which every thread of the worker stalls. Frozen objects are never scanned again (they
  live as long as the process anyway), so later collections only walk what requests
  allocate.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

from config.serving import exit_with_parent, without_process_environment

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = without_process_environment(get_wsgi_application(), os.environ)
exit_with_parent()
gc.freeze()
