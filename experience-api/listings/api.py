"""Listing pages: home, listing detail, create/change listing and its photos, public
profile, categories."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import NeverCachedView
from accounts.authentication import BearerRequired
from accounts.viewer import ViewerPartMixin, never_cache_if_personal
from clients.events import publish_page_view
from config.schema import ErrorOutput
from listings import selectors, services
from listings.serializers import (
    CategoriesOutput,
    DashboardInput,
    HomeOutput,
    ListingCreateInput,
    ListingCreateMultipartInput,
    ListingDetailOutput,
    ListingOutput,
    ListingUpdateInput,
    ListingUpdateMultipartInput,
    PageInput,
    PhotosUploadInput,
    UserProfileOutput,
)
from listings.uploads import PHOTO_PARSERS, PhotoUploadParser
from mpcommon import photo_rules


class HomeView(ViewerPartMixin, APIView):
    # The page is the same for everyone (cached as such); a Bearer only adds the
    # viewer's own part to the answer (accounts.viewer).
    @extend_schema(
        responses={200: HomeOutput, 503: ErrorOutput},
        description="Optional Bearer: the answer then also has viewer, favourited (and "
        "viewer_error when the authenticator is refused or unverifiable), never cached.",
    )
    def get(self, request):
        page = selectors.home_page()
        part = self.viewer_part(request, (page["newest"], page["popular"]))
        return never_cache_if_personal(Response({**page, **part}), part)


UPLOAD_NOTE = (
    f"Photos: at most {photo_rules.MAX_PHOTOS_PER_LISTING} per listing, "
    f"{photo_rules.MAX_PHOTO_BYTES // (1024 * 1024)} MB each (400 on photos); a multipart "
    f"body over {photo_rules.MAX_UPLOAD_BODY_BYTES} bytes is 413 payload_too_large. "
    "models-api decodes every file: one that is not a JPEG, PNG or WebP image is a 400 "
    "on photos and nothing is stored."
)


class ListingCreateView(APIView):
    permission_classes = [BearerRequired]
    parser_classes = PHOTO_PARSERS

    @extend_schema(
        request={
            "application/json": ListingCreateInput,
            "multipart/form-data": ListingCreateMultipartInput,
        },
        responses={
            201: ListingOutput,
            **{code: ErrorOutput for code in (400, 401, 413, 415, 503)},
        },
        description="JSON, or multipart/form-data with the same fields and photos (the "
        "first is the cover). " + UPLOAD_NOTE,
    )
    def post(self, request):
        data = ListingCreateMultipartInput(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.create_listing(
            authenticator=request.auth, data=data.to_models_api(), photos=data.photos
        )
        return Response(listing, status=201)


# Sent by the web tier when it renders a page's member shell; HAProxy deletes it from
# every outside request, so only a call from inside carries it (whatever its value).
EDGE_SHELL_HEADER = "X-Edge-Shell"


def is_member_shell(request) -> bool:
    return EDGE_SHELL_HEADER in request.headers


class ListingDetailView(ViewerPartMixin, APIView):
    parser_classes = PHOTO_PARSERS

    @extend_schema(
        parameters=[
            OpenApiParameter(
                EDGE_SHELL_HEADER,
                str,
                location=OpenApiParameter.HEADER,
                description="Internal (the web tier rendering a member shell): present, "
                "no page view is recorded.",
            )
        ],
        responses={200: ListingDetailOutput, 404: ErrorOutput, 503: ErrorOutput},
        description="Optional Bearer: a page view is recorded for the user, or "
        "anonymously; the answer then also has viewer, favourited (and viewer_error when "
        "the authenticator is refused or unverifiable), never cached. With X-Edge-Shell "
        "(the web tier rendering a member shell; HAProxy deletes it from outside "
        "requests) no page view is recorded: GET /viewer?viewed= records it.",
    )
    def get(self, request, listing_id: str):
        listing_id = int(listing_id)
        detail = selectors.listing_detail(listing_id)
        # First: it authenticates the viewer (lazily, with their keys; ViewerPartMixin).
        part = self.viewer_part(request, ([detail], detail["recommendations"]))
        user_id = request.user.id if request.user is not None else None
        # The seller looking at (or editing) their own listing is not a view of it; nor
        # is a member shell (docs/edge-assembly.md): the page assembled from it records
        # its view through GET /viewer?viewed=.
        if not is_member_shell(request) and (
            user_id is None or user_id != (detail.get("seller") or {}).get("id")
        ):
            publish_page_view(listing_id, user_id)
        return never_cache_if_personal(Response({**detail, **part}), part)

    def get_permissions(self):
        # Reading is open to everyone; changing needs a Bearer (models-api checks the owner).
        return [BearerRequired()] if self.request.method in ("PATCH", "DELETE") else []

    @extend_schema(
        request={
            "application/json": ListingUpdateInput,
            "multipart/form-data": ListingUpdateMultipartInput,
        },
        responses={
            200: ListingOutput,
            **{code: ErrorOutput for code in (400, 401, 403, 404, 409, 413, 415, 503)},
        },
        description="Seller only. JSON, or multipart/form-data (photo_order a repeated "
        "field) with new photos appended after the kept ones; 409 listing_reserved for a "
        "status change while an order holds it; 400 photo_order for ids not of this "
        "listing. " + UPLOAD_NOTE,
    )
    def patch(self, request, listing_id: str):
        data = ListingUpdateMultipartInput(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.update_listing(
            authenticator=request.auth,
            listing_id=int(listing_id),
            changes=data.to_models_api(),
            photos=data.photos,
        )
        return Response(listing)

    @extend_schema(
        responses={204: None, **{code: ErrorOutput for code in (401, 403, 404, 409, 503)}},
        description="Seller only; the listing then gives 404. Its orders keep a snapshot.",
    )
    def delete(self, request, listing_id: str):
        services.delete_listing(authenticator=request.auth, listing_id=int(listing_id))
        return Response(status=204)


class ListingPhotosView(APIView):
    permission_classes = [BearerRequired]
    parser_classes = [PhotoUploadParser]  # files only: a JSON body is 415

    @extend_schema(
        request={"multipart/form-data": PhotosUploadInput},
        responses={
            201: ListingOutput,
            **{code: ErrorOutput for code in (400, 401, 403, 404, 413, 415, 503)},
        },
        description="Seller only: appends the photos after the listing's own; 400 on "
        "photos over the limit in all. " + UPLOAD_NOTE,
    )
    def post(self, request, listing_id: str):
        data = PhotosUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        listing = services.add_listing_photos(
            authenticator=request.auth,
            listing_id=int(listing_id),
            photos=data.validated_data["photos"],
        )
        return Response(listing, status=201)


class ListingPhotoView(APIView):
    permission_classes = [BearerRequired]

    @extend_schema(
        request=None,
        responses={200: ListingOutput, **{c: ErrorOutput for c in (401, 403, 404, 503)}},
        description="Seller only: removes the photo (404 if it is not this listing's); "
        "the next one becomes the cover when it was the first.",
    )
    def delete(self, request, listing_id: str, photo_id: str):
        listing = services.delete_listing_photo(
            authenticator=request.auth, listing_id=int(listing_id), photo_id=int(photo_id)
        )
        return Response(listing)


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
