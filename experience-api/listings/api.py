"""Listing pages: home, listing detail, create listing, public profile, categories."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerRequired
from clients.events import publish_page_view
from config.schema import ErrorOutput
from listings import selectors, services
from listings.serializers import (
    CategoriesOutput,
    HomeOutput,
    ListingCreateInput,
    ListingDetailOutput,
    ListingOutput,
    PageInput,
    UserProfileOutput,
)


class HomeView(APIView):
    authentication_classes: list = []  # the page is the same for everyone

    @extend_schema(responses={200: HomeOutput, 503: ErrorOutput})
    def get(self, request):
        return Response(selectors.home_page())


class ListingCreateView(APIView):
    permission_classes = [BearerRequired]

    @extend_schema(
        request=ListingCreateInput,
        responses={201: ListingOutput, 400: ErrorOutput, 401: ErrorOutput, 503: ErrorOutput},
    )
    def post(self, request):
        data = ListingCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.create_listing(authenticator=request.auth, data=data.to_models_api())
        return Response(listing, status=201)


class ListingDetailView(APIView):
    @extend_schema(
        responses={200: ListingDetailOutput, 404: ErrorOutput, 503: ErrorOutput},
        description="Optional Bearer: a page view is recorded for the user, or anonymously.",
    )
    def get(self, request, listing_id: str):
        listing_id = int(listing_id)
        detail = selectors.listing_detail(listing_id)
        user_id = request.user.id if request.user is not None else None
        publish_page_view(listing_id, user_id)
        return Response(detail)


class UserProfileView(APIView):
    authentication_classes: list = []

    @extend_schema(
        parameters=[OpenApiParameter("page", int, default=1)],
        responses={200: UserProfileOutput, 400: ErrorOutput, 404: ErrorOutput, 503: ErrorOutput},
    )
    def get(self, request, user_id: str):
        query = PageInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(selectors.user_profile(int(user_id), page=query.validated_data["page"]))


class CategoriesView(APIView):
    authentication_classes: list = []

    @extend_schema(responses={200: CategoriesOutput, 503: ErrorOutput})
    def get(self, request):
        return Response({"categories": selectors.categories()})
