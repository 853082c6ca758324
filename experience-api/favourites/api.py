"""The viewer's favourite listings (docs/accounts-and-notifications.md): thin views that
validate, call one selector or service, and answer. Private to the viewer: never cached."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts.api import NeverCachedView
from accounts.authentication import BearerRequired
from config.schema import ErrorOutput
from favourites import selectors, services
from favourites.serializers import (
    FavouriteIdsInput,
    FavouriteIdsOutput,
    FavouritesPageOutput,
    FavouriteStateOutput,
)
from listings.serializers import PageInput

_ERRORS = {code: ErrorOutput for code in (400, 401, 403, 404, 503)}


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class FavouritesApiView(NeverCachedView):
    """The viewer's own favourites (Bearer): private, never stored by any cache."""

    permission_classes = [BearerRequired]


class FavouritesView(FavouritesApiView):
    @extend_schema(
        operation_id="favourites_list",
        parameters=[OpenApiParameter("page", int, default=1)],
        responses={200: FavouritesPageOutput, **_ERRORS},
        summary="The viewer's favourite listings as cards, newest favourite first",
    )
    def get(self, request):
        query = _valid(PageInput, request.query_params)
        return Response(selectors.favourites_page(user=request.user, page=query["page"]))


class FavouriteIdsView(FavouritesApiView):
    @extend_schema(
        parameters=[FavouriteIdsInput],
        responses={200: FavouriteIdsOutput, **_ERRORS},
        summary="Which of the given listings the viewer favourited",
    )
    def get(self, request):
        query = _valid(FavouriteIdsInput, request.query_params)
        return Response(selectors.favourited_ids(user=request.user, listing_ids=query["listings"]))


class FavouriteView(FavouritesApiView):
    @extend_schema(
        request=None,
        responses={200: FavouriteStateOutput, **_ERRORS},
        summary="Favourite a listing (idempotent)",
    )
    def put(self, request, listing_id: str):
        return Response(services.favourite(user=request.user, listing_id=int(listing_id)))

    @extend_schema(
        request=None,
        responses={200: FavouriteStateOutput, **_ERRORS},
        summary="Stop favouriting a listing (idempotent)",
    )
    def delete(self, request, listing_id: str):
        return Response(services.unfavourite(user=request.user, listing_id=int(listing_id)))
