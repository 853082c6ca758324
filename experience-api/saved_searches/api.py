"""The viewer's saved searches (docs/accounts-and-notifications.md): thin views that
validate, call one selector or service, and answer. Private to the viewer: never cached."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from accounts.api import NeverCachedView
from accounts.authentication import BearerRequired
from config.schema import ErrorOutput
from mpcommon import account_rules
from saved_searches import selectors, services
from saved_searches.serializers import (
    SavedSearchCreateInput,
    SavedSearchListOutput,
    SavedSearchOutput,
    SavedSearchUpdateInput,
)

_ERRORS = {code: ErrorOutput for code in (400, 401, 403, 404, 503)}


class SavedSearchesApiView(NeverCachedView):
    """The viewer's own saved searches (Bearer): private, never stored by any cache."""

    permission_classes = [BearerRequired]


class SavedSearchCollectionView(SavedSearchesApiView):
    @extend_schema(
        operation_id="saved_searches_list",
        responses={200: SavedSearchListOutput, **_ERRORS},
        summary="The viewer's saved searches, newest first",
    )
    def get(self, request):
        return Response(selectors.saved_searches(user=request.user))

    @extend_schema(
        request=SavedSearchCreateInput,
        responses={201: SavedSearchOutput, 200: SavedSearchOutput, **_ERRORS},
        summary="Save a search for alerts (200: the viewer had saved the same one)",
        description=f"At most {account_rules.MAX_SAVED_SEARCHES} per user: past that a "
        "400 with non_field_errors.",
    )
    def post(self, request):
        data = SavedSearchCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        saved, created = services.save_search(user=request.user, search=data.to_models_api())
        return Response(saved, status=201 if created else 200)


class SavedSearchDetailView(SavedSearchesApiView):
    @extend_schema(
        request=SavedSearchUpdateInput,
        responses={200: SavedSearchOutput, **_ERRORS},
        summary="Pause, resume or change how often (owner only)",
    )
    def patch(self, request, saved_search_id: str):
        changes = SavedSearchUpdateInput(data=request.data)
        changes.is_valid(raise_exception=True)
        return Response(
            services.change_saved_search(
                user=request.user,
                saved_search_id=int(saved_search_id),
                changes=changes.validated_data,
            )
        )

    @extend_schema(
        request=None,
        responses={204: None, **_ERRORS},
        summary="Delete a saved search (owner only)",
    )
    def delete(self, request, saved_search_id: str):
        services.delete_saved_search(user=request.user, saved_search_id=int(saved_search_id))
        return Response(status=204)
