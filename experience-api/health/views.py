"""``GET /readyz``: can this instance serve every feature right now?"""

from django.http import JsonResponse

from health.checks import run_checks
from mpcommon.errors import METHOD_NOT_ALLOWED, error_body


def readyz(request):
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(error_body(METHOD_NOT_ALLOWED, "Use GET."), status=405)
        response["Allow"] = "GET, HEAD"
        return response
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )
