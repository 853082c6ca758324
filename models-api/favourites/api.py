"""HTTP endpoints of favourites (docs/accounts-and-notifications.md)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from catalogue.serializers import ListingPageOut, listing_representation
from core.schema import AUTHENTICATOR_PARAMETER, error_responses
from core.views import ServiceAPIView, validated
from favourites import selectors, services
from favourites.serializers import (
    FavouritedIdsOut,
    FavouriteIdsQueryIn,
    FavouritePageQueryIn,
    FavouriteStateOut,
    favourite_state,
)
from mpcommon import account_rules


def _query(request) -> dict:
    # An empty parameter means "not given", like an absent one.
    return {key: value for key, value in request.query_params.items() if value != ""}


class FavouriteCollectionApi(ServiceAPIView):
    @extend_schema(
        operation_id="favourites_list",
        parameters=[
            AUTHENTICATOR_PARAMETER,
            OpenApiParameter("page", int, default=1),
            OpenApiParameter(
                "page_size",
                int,
                default=account_rules.FAVOURITES_PAGE_SIZE,
                description="1 to 100.",
            ),
        ],
        responses={200: ListingPageOut, **error_responses(400)},
        summary="The acting user's favourite listings, newest favourite first",
    )
    def get(self, request):
        user = self.acting_user()
        query = validated(FavouritePageQueryIn, _query(request))
        page = selectors.favourite_page(user, page=query["page"], page_size=query["page_size"])
        return Response(
            {
                "count": page.count,
                "page": page.page,
                "page_size": page.page_size,
                "next": page.next_page,
                "previous": page.previous_page,
                "results": [listing_representation(listing) for listing in page.listings],
            }
        )


class FavouriteIdsApi(ServiceAPIView):
    @extend_schema(
        operation_id="favourites_ids",
        parameters=[
            AUTHENTICATOR_PARAMETER,
            OpenApiParameter("listings", str, description="Comma-separated listing ids (max 100)."),
        ],
        responses={200: FavouritedIdsOut, **error_responses(400)},
        summary="Which of these listings the acting user favourited",
    )
    def get(self, request):
        user = self.acting_user()
        query = validated(FavouriteIdsQueryIn, _query(request))
        return Response({"favourited": selectors.favourited_ids(user, query["listings"])})


class FavouriteDetailApi(ServiceAPIView):
    @extend_schema(
        operation_id="favourites_put",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=None,
        responses={200: FavouriteStateOut, **error_responses(403, 404)},
        summary="Favourite a listing (idempotent; 403 `own_listing` for its seller)",
    )
    def put(self, request, listing_id: int):
        user = self.acting_user()
        count = services.add_favourite(user=user, listing_id=listing_id)
        return Response(favourite_state(listing_id, favourited=True, count=count))

    @extend_schema(
        operation_id="favourites_delete",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={200: FavouriteStateOut, **error_responses(404)},
        summary="Remove a listing from the favourites (idempotent)",
    )
    def delete(self, request, listing_id: int):
        user = self.acting_user()
        count = services.remove_favourite(user=user, listing_id=listing_id)
        return Response(favourite_state(listing_id, favourited=False, count=count))
