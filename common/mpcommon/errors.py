"""The error envelope every JSON API of the marketplace answers with.

``{"error": "<code>", "detail": "<human message>", "fields": {"<field>": ["<msg>", ...]}}``
with ``fields`` only on 400 (docs/internal-contracts.md). Each service still maps its
own typed exceptions to a status and a code in one place of its own (they differ:
models-api speaks for the database, the experience API for its dependencies); this
module holds what they share: the codes, the body, and DRF's nested validation errors
flattened to per-field messages.
"""

from __future__ import annotations

from typing import Any

VALIDATION_FAILED = "validation_failed"  # 400
MALFORMED_REQUEST = "malformed_request"  # 400 (experience API: unparsable body or request)
BAD_REQUEST = "bad_request"  # 400 (models-api: a request Django itself refused)
INVALID_CREDENTIALS = "invalid_credentials"  # 401
NOT_AUTHENTICATED = "not_authenticated"  # 401
PERMISSION_DENIED = "permission_denied"  # 403
NOT_FOUND = "not_found"  # 404
METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
NOT_ACCEPTABLE = "not_acceptable"  # 406
PAYLOAD_TOO_LARGE = "payload_too_large"  # 413
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # 415
RATE_LIMITED = "rate_limited"  # 429
INTERNAL_ERROR = "internal_error"  # 500
DATABASE_UNAVAILABLE = "database_unavailable"  # 503 (models-api)
MODELS_API_UNAVAILABLE = "models_api_unavailable"  # 503 (experience API)
SEARCH_UNAVAILABLE = "search_unavailable"  # 503 (experience API)


def error_body(code: str, detail: str, fields: dict[str, list[str]] | None = None) -> dict:
    """The envelope; ``fields`` is included whenever it is given (None leaves it out)."""
    body: dict[str, Any] = {"error": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field" or "field.sub": [messages]}``.

    Nested serializers and dict fields get dotted names; errors of list items are
    gathered under the list's name; errors not tied to a field go to
    ``non_field_errors``.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_field_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list | tuple):
        flat = {}
        for item in detail:
            if isinstance(item, dict | list | tuple):
                for field, messages in flatten_field_errors(item, prefix).items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or "non_field_errors", []).append(str(item))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}
