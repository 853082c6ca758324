"""``GET /readyz``: can this instance serve every feature right now?"""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from health.checks import run_checks


@require_GET
def readyz(request):
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )
