"""Bearer authentication against models-api, and the permission that requires it.

Authentication never fails a request by itself: an endpoint with optional auth (home,
listing detail, search) serves a missing, invalid or unverifiable authenticator as an
anonymous visitor. Endpoints that need a user use :class:`BearerRequired`, which
answers 401 (no/invalid authenticator) or 503 (models-api could not verify it).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from accounts.selectors import user_and_keys_for_authenticator
from clients import models_api

PROBLEM_ATTR = "bearer_problem"
# The values read with the resolution at the view's ``prefetch_user_keys`` (a dict).
PREFETCHED_ATTR = "bearer_prefetched"


class BearerAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            setattr(
                request,
                PROBLEM_ATTR,
                models_api.NotAuthenticated(
                    "Malformed Authorization header: expected 'Bearer <authenticator>'."
                ),
            )
            return None
        # A view may ask for per-user cache keys to be read with the resolution
        # (``prefetch_user_keys(user_id)``; accounts.viewer): one round trip fewer.
        view = (getattr(request, "parser_context", None) or {}).get("view")
        keys_of = getattr(view, "prefetch_user_keys", None)
        try:
            token = header[1].decode("ascii")
            user, found = user_and_keys_for_authenticator(token, keys_of=keys_of)
        except UnicodeDecodeError:
            setattr(request, PROBLEM_ATTR, models_api.NotAuthenticated("Invalid authenticator."))
            return None
        except (models_api.NotAuthenticated, models_api.ModelsApiUnavailable) as exc:
            setattr(request, PROBLEM_ATTR, exc)
            return None
        setattr(request, PREFETCHED_ATTR, found)
        return (user, token)

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return 'Bearer realm="api"'


class BearerRequired(BasePermission):
    """Only requests with a valid authenticator; otherwise 401, or 503 if unverifiable."""

    message = "Authentication required: send 'Authorization: Bearer <authenticator>'."

    def has_permission(self, request, view):
        if request.user is not None:
            return True
        problem = getattr(request, PROBLEM_ATTR, None)
        if problem is not None:
            raise problem
        raise exceptions.NotAuthenticated(self.message)
