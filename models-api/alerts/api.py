"""HTTP endpoints of saved searches and of the alerts worker's matches
(docs/accounts-and-notifications.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from alerts import selectors, services
from alerts.serializers import (
    MatchesIn,
    MatchesOut,
    SavedSearchCreateIn,
    SavedSearchListOut,
    SavedSearchOut,
    SavedSearchUpdateIn,
    saved_search_representation,
)
from core.schema import AUTHENTICATOR_PARAMETER, error_responses
from core.views import ServiceAPIView, validated
from mpcommon import account_rules


class SavedSearchCollectionApi(ServiceAPIView):
    @extend_schema(
        operation_id="saved_searches_list",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={200: SavedSearchListOut, **error_responses()},
        summary="The acting user's saved searches, newest first",
    )
    def get(self, request):
        user = self.acting_user()
        searches = selectors.saved_searches_of(user)
        return Response({"results": [saved_search_representation(s) for s in searches]})

    @extend_schema(
        operation_id="saved_searches_create",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=SavedSearchCreateIn,
        responses={201: SavedSearchOut, 200: SavedSearchOut, **error_responses(400, 413)},
        summary="Save a search (200 with the existing one when it is saved already; "
        f"at most {account_rules.MAX_SAVED_SEARCHES} per user)",
    )
    def post(self, request):
        user = self.acting_user()
        data = dict(validated(SavedSearchCreateIn, request.data))
        query, frequency = data.pop("query"), data.pop("frequency")
        filters = services.search_filters(**data)
        search, created = services.create_saved_search(
            user=user, query=query, filters=filters, frequency=frequency
        )
        return Response(
            saved_search_representation(search),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class SavedSearchDetailApi(ServiceAPIView):
    @extend_schema(
        operation_id="saved_searches_partial_update",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=SavedSearchUpdateIn,
        responses={200: SavedSearchOut, **error_responses(400, 403, 404, 413)},
        summary="Pause, resume or change the frequency of a saved search (owner only)",
    )
    def patch(self, request, search_id: int):
        actor = self.acting_user()
        data = validated(SavedSearchUpdateIn, request.data)
        search = services.update_saved_search(search_id=search_id, actor=actor, changes=dict(data))
        return Response(saved_search_representation(search))

    @extend_schema(
        operation_id="saved_searches_destroy",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={204: None, **error_responses(403, 404)},
        summary="Delete a saved search (owner only)",
    )
    def delete(self, request, search_id: int):
        actor = self.acting_user()
        services.delete_saved_search(search_id=search_id, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedSearchMatchesApi(ServiceAPIView):
    @extend_schema(
        operation_id="saved_searches_matches",
        request=MatchesIn,
        responses={200: MatchesOut, **error_responses(400, 413)},
        summary="The alerts worker's matches of a new listing (service only; idempotent per "
        "saved search and listing; a listing gone or not active: nothing)",
    )
    def post(self, request):
        data = validated(MatchesIn, request.data)
        emailed, queued = services.record_matches(
            listing_id=data["listing"], saved_search_ids=data["saved_searches"]
        )
        return Response({"emailed": emailed, "queued_for_digest": queued})
