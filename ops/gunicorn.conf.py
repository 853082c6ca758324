"""gunicorn settings of models-api and web-frontend (overridable by environment).

experience-api runs on granian instead (ops/supervisord.conf, program exp).
"""

import gc
import multiprocessing
import os

workers = int(os.environ.get("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
# Access lines come from mpcommon's AccessLogMiddleware (JSON with the request ID).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Recycle workers now and then (bounds slow leaks) without churning under load.
max_requests = 50000
max_requests_jitter = 5000
# Four gunicorn masters run side by side: the default control socket path
# ($HOME/.gunicorn/gunicorn.ctl) would be shared between them. supervisord is our control.
control_socket_disable = True
# Long search queries arrive in the URL; the services validate their length and answer
# JSON/HTML errors themselves rather than gunicorn's bare 414 page.
limit_request_line = 8190
# No SO_REUSEPORT: with it gunicorn gives each worker its own listening socket, and a
# worker that exits (max_requests recycling) drops the connections queued on its socket.
# One shared socket keeps recycling invisible to clients.
reuse_port = False


def post_worker_init(worker):
    """The application is loaded: move everything it allocated so far out of the GC's way.

    A full (generation 2) collection walks every tracked object, and each worker starts
    with about 96,000 (Django, DRF, our modules): 17 ms, holding the GIL, so every thread
    of the worker stalls meanwhile. Frozen objects are never scanned again (they live as
    long as the process anyway), so later collections only walk what requests allocate.
    """
    gc.freeze()
