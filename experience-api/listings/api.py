"""Listing pages: home, listing detail, create listing, public profile, categories."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import NeverCachedView
from accounts.authentication import BearerRequired
from clients.events import publish_page_view
from config.schema import ErrorOutput
from listings import selectors, services
from listings.serializers import (
    CategoriesOutput,
    DashboardInput,
    HomeOutput,
    ListingCreateInput,
    ListingDetailOutput,
    ListingOutput,
    ListingUpdateInput,
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
        # The seller looking at (or editing) their own listing is not a view of it.
        if user_id is None or user_id != (detail.get("seller") or {}).get("id"):
            publish_page_view(listing_id, user_id)
        return Response(detail)

    def get_permissions(self):
        # Reading is open to everyone; changing needs a Bearer (models-api checks the owner).
        return [BearerRequired()] if self.request.method in ("PATCH", "DELETE") else []

    @extend_schema(
        request=ListingUpdateInput,
        responses={
            200: ListingOutput,
            **{code: ErrorOutput for code in (400, 401, 403, 404, 409, 503)},
        },
        description="Seller only. JSON; 409 listing_reserved while an order holds it.",
    )
    def patch(self, request, listing_id: str):
        data = ListingUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.update_listing(
            authenticator=request.auth, listing_id=int(listing_id), changes=data.to_models_api()
        )
        return Response(listing)

    @extend_schema(
        responses={204: None, **{code: ErrorOutput for code in (401, 403, 404, 409, 503)}},
        description="Seller only; the listing then gives 404. Its orders keep a snapshot.",
    )
    def delete(self, request, listing_id: str):
        services.delete_listing(authenticator=request.auth, listing_id=int(listing_id))
        return Response(status=204)


class DashboardView(NeverCachedView):
    permission_classes = [BearerRequired]

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, default=1),
            OpenApiParameter("status", str, enum=["active", "reserved", "sold", "withdrawn"]),
        ],
        responses={200: None, 400: ErrorOutput, 401: ErrorOutput, 503: ErrorOutput},
        description="The viewer's listings in every status, with open order requests "
        "and counts by status (docs/selling-and-buying.md).",
    )
    def get(self, request):
        query = DashboardInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            selectors.dashboard(
                user=request.user,
                page=query.validated_data["page"],
                status=query.validated_data.get("status"),
            )
        )


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
