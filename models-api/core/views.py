"""The base class of every API view, and the readiness endpoint."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import JsonResponse
from rest_framework.views import APIView

from core.errors import NotAuthenticated
from mpcommon.api_parsers import PayloadTooLarge, body_limit_for

logger = logging.getLogger(__name__)

AUTHENTICATOR_HEADER = "X-Authenticator"


def validated(serializer_class, data) -> dict:
    """``data`` checked by ``serializer_class``; invalid input raises DRF's ValidationError
    (a 400 ``validation_failed`` with per-field messages, core.exceptions)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ServiceAPIView(APIView):
    """An endpoint of the internal API: service token required, bodies size-limited.

    ``max_body_bytes`` (None: settings.MAX_REQUEST_BODY_BYTES) is checked against the
    declared Content-Length before anything is read, and again while parsing.
    """

    max_body_bytes: int | None = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # service token first: 401 before 413
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = body_limit_for(self)
        if declared > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")

    def acting_user(self):
        """The user whose ``X-Authenticator`` came with the request, or 401."""
        from accounts.selectors import user_for_authenticator

        token = self.request.headers.get(AUTHENTICATOR_HEADER, "")
        if not token:
            raise NotAuthenticated(f"The {AUTHENTICATOR_HEADER} header is required.")
        return user_for_authenticator(token)


def readyz(request):
    """Readiness: 200 when the database answers, 503 otherwise (no auth, like /healthz)."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"ok": True, "detail": "SELECT 1 succeeded"}
    except Exception as exc:  # any failure means "not ready"; the detail says which
        logger.warning("readiness check failed", extra={"check": "database", "error": str(exc)})
        checks["database"] = {"ok": False, "detail": type(exc).__name__}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503
    )
