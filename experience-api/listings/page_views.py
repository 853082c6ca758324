"""Anonymous page views counted at the edge (issue 11): ``POST /internal/page-views``.

HAProxy serves anonymous listing pages from its micro-cache, so those views never reach
``GET /api/v1/listings/<id>`` (where views are published). HAProxy counts them instead
(haproxy/edge_cache.lua) and posts the counts about once a second; each counted view
becomes the same page-view event an uncached anonymous view produces (``user_id`` null).

Internal only: HAProxy answers 404 to anything outside ``/api/v1/`` on this service, and
the caller must present the service token (``X-Service-Token``).
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clients.events import publish_page_view
from mpcommon import errors as envelope

# One posting covers about a second of traffic; anything above is not a real count.
MAX_VIEWS_PER_LISTING = 100_000
MAX_LISTINGS = 10_000
MAX_BODY_BYTES = 512 * 1024


def _refused(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status)


def parse_counts(body: bytes) -> dict[int, int] | None:
    """``{"views": {"<listing id>": <count>}}`` as ``{id: count}``; None if malformed."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    views = data.get("views") if isinstance(data, dict) else None
    if not isinstance(views, dict) or len(views) > MAX_LISTINGS:
        return None
    counts: dict[int, int] = {}
    for key, value in views.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) <= 18):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        if not 1 <= value <= MAX_VIEWS_PER_LISTING or int(key) < 1:
            return None
        counts[int(key)] = value
    return counts


@csrf_exempt
@require_POST
def edge_page_views(request: HttpRequest) -> JsonResponse:
    """Publish one anonymous page-view event per view counted at the edge."""
    token = request.headers.get("X-Service-Token", "")
    if not settings.SERVICE_TOKEN or not hmac.compare_digest(
        token.encode(), settings.SERVICE_TOKEN.encode()
    ):
        return _refused(401, envelope.NOT_AUTHENTICATED, "Service token required.")
    if len(request.body) > MAX_BODY_BYTES:
        return _refused(413, envelope.PAYLOAD_TOO_LARGE, "Too many counts at once.")
    counts = parse_counts(request.body)
    if counts is None:
        return _refused(
            400,
            envelope.VALIDATION_FAILED,
            'Expected {"views": {"<listing id>": <count from 1 to 100000>}}.',
        )
    published = 0
    for listing_id, count in counts.items():
        for _ in range(count):
            published += bool(publish_page_view(listing_id, None))
    return JsonResponse({"published": published, "counted": sum(counts.values())}, status=202)
