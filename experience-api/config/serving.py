"""What each granian worker needs beyond the Django application (see config/wsgi.py)."""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# The keys a WSGI server sets itself (PEP 3333, CGI/1.1); with HTTP_* and wsgi.* they are
# never the process environment's.
_REQUEST_KEYS = frozenset(
    {
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "GATEWAY_INTERFACE",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "REMOTE_PORT",
        "RAW_URI",
    }
)


def exit_with_parent() -> None:
    """Ask the kernel for SIGTERM when this process's parent dies.

    gunicorn's workers watch their parent themselves; granian's do not, and a worker
    orphaned by a SIGKILLed main process keeps the listening socket and serves on beside
    the instance supervisord starts next.
    """
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died before prctl was called: then nobody will signal us.
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGTERM)


def without_process_environment(
    app: Callable[..., Iterable[bytes]], process_environment: Mapping[str, str]
) -> Callable[..., Iterable[bytes]]:
    """``app`` with the process's environment variables taken out of each request's environ.

    granian starts every WSGI environ from a copy of ``os.environ`` (CGI's way), so each
    ``request.META`` would carry the service's secrets (DJANGO_SECRET_KEY, SERVICE_TOKEN);
    gunicorn's environ holds only the request. The request's own keys always win in
    granian's environ, so only names that are never a request's are taken out.
    """
    names = tuple(
        name
        for name in process_environment
        if name not in _REQUEST_KEYS and not name.startswith(("HTTP_", "wsgi."))
    )

    def application(environ: dict[str, Any], start_response: Callable[..., Any]):
        for name in names:
            environ.pop(name, None)
        return app(environ, start_response)

    return application
