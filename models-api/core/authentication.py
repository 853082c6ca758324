"""The service token: every API request must carry ``X-Service-Token``.

models-api is internal; the shared secret makes a reachable port insufficient to call
it. The comparison is constant-time, and an unset token refuses every request.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

SERVICE_TOKEN_HEADER = "X-Service-Token"
_META_KEY = "HTTP_X_SERVICE_TOKEN"


class ServiceCaller:
    """The authenticated caller: another marketplace service (not an end user)."""

    is_authenticated = True
    is_service = True

    def __str__(self) -> str:
        return "service"


def service_token_matches(presented: str | None) -> bool:
    expected = settings.SERVICE_TOKEN
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


class ServiceTokenAuthentication(BaseAuthentication):
    """DRF authentication: a missing header is 'no credentials', a wrong one fails."""

    def authenticate(self, request):
        presented = request.META.get(_META_KEY)
        if presented is None:
            return None
        if not service_token_matches(presented):
            raise exceptions.AuthenticationFailed("Invalid service token.")
        return ServiceCaller(), "service-token"

    def authenticate_header(self, request) -> str:
        # A value here keeps DRF answering 401 (not 403) to unauthenticated calls.
        return "ServiceToken"


class HasServiceToken(BasePermission):
    message = "The X-Service-Token header is required."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ServiceCaller)
