"""WSGI entry point, served by granian (``granian --interface wsgi config.wsgi:application``).

granian imports this module in each worker process it forks, so what follows runs once
per worker, after the application is loaded:
- the worker asks the kernel for SIGTERM when its parent (granian's main process) dies.
  gunicorn's workers watch their parent themselves; granian's do not, and a worker
  orphaned by a SIGKILLed main process would keep the port and serve on after supervisord
  has started a new instance;
- ``gc.freeze()``: a full collection walks every tracked object, and a worker starts with
  about 96,000 of them (Django, DRF, our modules), about 17 ms with the GIL held, during
  which every thread of the worker stalls. Frozen objects are never scanned again (they
  live as long as the process anyway), so later collections only walk what requests
  allocate.
"""

import ctypes
import gc
import os
import signal

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _exit_with_parent() -> None:
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died before the request was made: then nobody signals us.
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


application = get_wsgi_application()
_exit_with_parent()
gc.freeze()
