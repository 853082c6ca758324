"""gunicorn settings shared by every Django service (overridable by environment)."""

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
max_requests = 5000
max_requests_jitter = 500
# Four gunicorn masters run side by side: the default control socket path
# ($HOME/.gunicorn/gunicorn.ctl) would be shared between them. supervisord is our control.
control_socket_disable = True
# Long search queries arrive in the URL; the services validate their length and answer
# JSON/HTML errors themselves rather than gunicorn's bare 414 page.
limit_request_line = 8190
# If a master dies hard (SIGKILL), its orphaned workers keep the listening socket for
# a second or two; SO_REUSEPORT lets the replacement master bind at once instead of
# failing and waiting for supervisord's next retry.
reuse_port = True
