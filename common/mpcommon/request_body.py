"""Read what is left of a request body before the response leaves (keep-alive safety).

A view (or a parser, or CSRF) may answer before reading the body: a 413 for a body over
the limit, a 401/403 on an upload. HAProxy, seeing the early answer, stops forwarding
the rest of the body but keeps its connection to the service for the next client, while
gunicorn still expects those bytes: that next request, someone else's, got a 502 (seen:
a 413 on a 3 MB body, then an unrelated login 4 ms later). Reading the remainder before
answering, while HAProxy is still sending it, leaves the connection clean.

Only bodies up to ``DRAIN_LIMIT_BYTES``, the largest any endpoint accepts (a multipart
upload of every photo), are read: a client that declares such a body and stalls holds a
thread until HAProxy's client timeout, as a stalled upload already does; one declaring
more is answered at once and its connection left to gunicorn, as before.
"""

from __future__ import annotations

from django.http.request import UnreadablePostError

from mpcommon.photo_rules import MAX_UPLOAD_BODY_BYTES

DRAIN_LIMIT_BYTES = MAX_UPLOAD_BODY_BYTES
CHUNK_BYTES = 64 * 1024


class DrainRequestBodyMiddleware:
    """First in ``MIDDLEWARE``: after any answer, the unread rest of the body is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # request.body (``_body``) already holds it all: nothing is left on the wire.
        if 0 < length <= DRAIN_LIMIT_BYTES and not hasattr(request, "_body"):
            try:
                while request.read(CHUNK_BYTES):
                    pass
            except (UnreadablePostError, OSError):
                pass  # the client went away: nothing to keep clean
        return response
