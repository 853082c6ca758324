"""The liveness endpoint every Django service exposes at ``/healthz``."""

from django.http import HttpResponse


def healthz(request):
    """200 ``ok`` while the process can serve requests (used by HAProxy and make up)."""
    return HttpResponse("ok", content_type="text/plain")
