"""HTTP endpoints of categories, listings, view counts and recommendations."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from catalogue import selectors, services
from catalogue.serializers import (
    ORDERINGS,
    CategoryListOut,
    ListingCreateIn,
    ListingCreateMultipartIn,
    ListingOut,
    ListingPageOut,
    ListingQueryIn,
    ListingRecommendationsOut,
    ListingUpdateIn,
    ListingUpdateMultipartIn,
    RecommendationsIn,
    RecommendationsReplacedOut,
    ViewIncrementsIn,
    ViewIncrementsOut,
    category_representation,
    listing_representation,
)
from core.formatting import iso_utc
from core.schema import AUTHENTICATOR_PARAMETER, error_responses
from core.views import ServiceAPIView, validated
from mpcommon import listing_rules
from mpcommon.api_parsers import StrictJSONParser
from photos import uploads


class CategoryListApi(ServiceAPIView):
    @extend_schema(
        operation_id="categories_list",
        responses={200: CategoryListOut, **error_responses()},
        summary="All categories (a fixed, seeded set)",
    )
    def get(self, request):
        categories = selectors.all_categories()
        return Response({"results": [category_representation(c) for c in categories]})


_LISTING_QUERY_PARAMETERS = [
    OpenApiParameter("seller", int, description="Seller user id."),
    OpenApiParameter("category", str, description="Category slug."),
    OpenApiParameter("status", str, enum=list(listing_rules.STATUS_VALUES)),
    OpenApiParameter("min_price", str, description='Inclusive, e.g. "10" or "9.99".'),
    OpenApiParameter("max_price", str, description="Inclusive."),
    OpenApiParameter("ids", str, description="Comma-separated listing ids (max 100)."),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS), default="newest"),
    OpenApiParameter("page", int, default=1),
    OpenApiParameter("page_size", int, default=20, description="1 to 100."),
]


class AcceptsPhotos:
    """JSON, or multipart/form-data carrying ``photos`` files (with the larger body limit
    of uploads: photo_rules.MAX_UPLOAD_BODY_BYTES)."""

    parser_classes = [StrictJSONParser, MultiPartParser]

    @property
    def max_body_bytes(self) -> int:
        return uploads.upload_body_limit(self.request)


class ListingCollectionApi(AcceptsPhotos, ServiceAPIView):
    @extend_schema(
        operation_id="listings_list",
        parameters=_LISTING_QUERY_PARAMETERS,
        responses={200: ListingPageOut, **error_responses(400)},
        summary="Listings, filtered, ordered and paginated",
    )
    def get(self, request):
        # An empty parameter (?category=) means "no filter", like an absent one.
        params = {key: value for key, value in request.query_params.items() if value != ""}
        query = validated(ListingQueryIn, params)
        filters = selectors.ListingFilters(
            seller=query.get("seller"),
            category=query.get("category"),
            status=query.get("status"),
            min_price=query.get("min_price"),
            max_price=query.get("max_price"),
            ids=query.get("ids"),
        )
        page = selectors.listing_page(
            filters, ordering=query["ordering"], page=query["page"], page_size=query["page_size"]
        )
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

    @extend_schema(
        operation_id="listings_create",
        parameters=[AUTHENTICATOR_PARAMETER],
        request={
            "application/json": ListingCreateIn,
            "multipart/form-data": ListingCreateMultipartIn,
        },
        responses={201: ListingOut, **error_responses(400, 413)},
        summary="Create a listing (with photos when multipart); the seller is the "
        "authenticator's owner",
    )
    def post(self, request):
        seller = self.acting_user()
        data = validated(ListingCreateIn, uploads.form_fields(request))
        images = uploads.uploaded_photos(request)
        listing = services.create_listing(seller=seller, images=images, **data)
        return Response(listing_representation(listing), status=status.HTTP_201_CREATED)


class ListingDetailApi(AcceptsPhotos, ServiceAPIView):
    @extend_schema(
        operation_id="listings_retrieve",
        responses={200: ListingOut, **error_responses(404)},
        summary="One listing",
    )
    def get(self, request, listing_id: int):
        return Response(listing_representation(selectors.listing_by_id(listing_id)))

    @extend_schema(
        operation_id="listings_partial_update",
        parameters=[AUTHENTICATOR_PARAMETER],
        request={
            "application/json": ListingUpdateIn,
            "multipart/form-data": ListingUpdateMultipartIn,
        },
        responses={200: ListingOut, **error_responses(400, 403, 404, 409, 413)},
        summary="Change a listing and its photos (seller only); bumps its version",
    )
    def patch(self, request, listing_id: int):
        actor = self.acting_user()
        has_photos = bool(uploads.is_multipart(request) and request.FILES.getlist("photos"))
        serializer = ListingUpdateIn(
            data=uploads.form_fields(request), context={"has_photos": has_photos}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        photo_order = changes.pop("photo_order", None)
        images = uploads.uploaded_photos(request)
        listing = services.update_listing(
            listing_id=listing_id,
            actor=actor,
            changes=changes,
            photo_order=photo_order,
            images=images,
        )
        return Response(listing_representation(listing))

    @extend_schema(
        operation_id="listings_destroy",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={204: None, **error_responses(403, 404, 409)},
        summary="Delete a listing (seller only)",
    )
    def delete(self, request, listing_id: int):
        actor = self.acting_user()
        services.delete_listing(listing_id=listing_id, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ListingViewsApi(ServiceAPIView):
    max_body_bytes = settings.MAX_BULK_REQUEST_BODY_BYTES

    @extend_schema(
        operation_id="listings_views_add",
        request=ViewIncrementsIn,
        responses={200: ViewIncrementsOut, **error_responses(400, 413)},
        summary="Add view counts in bulk, atomically (unknown ids ignored)",
    )
    def post(self, request):
        data = validated(ViewIncrementsIn, request.data)
        updated, duplicate = services.add_view_counts(
            increments=data["increments"], batch_id=data.get("batch_id")
        )
        return Response({"updated": updated, "duplicate": duplicate})


class ListingRecommendationsApi(ServiceAPIView):
    @extend_schema(
        operation_id="listings_recommendations_retrieve",
        responses={200: ListingRecommendationsOut, **error_responses(404)},
        summary="Recommended listing ids of one listing, best first",
    )
    def get(self, request, listing_id: int):
        recs = selectors.recommendations_for(listing_id)
        return Response(
            {
                "listing_id": recs.listing_id,
                "recommended": recs.recommended,
                "updated_at": iso_utc(recs.updated_at),
            }
        )


class RecommendationsApi(ServiceAPIView):
    max_body_bytes = settings.MAX_BULK_REQUEST_BODY_BYTES

    @extend_schema(
        operation_id="recommendations_replace",
        request=RecommendationsIn,
        responses={200: RecommendationsReplacedOut, **error_responses(400, 413)},
        summary="Replace the whole recommendation set atomically",
    )
    def put(self, request):
        data = validated(RecommendationsIn, request.data)
        stored = services.replace_recommendations(recommendations=data["recommendations"])
        return Response({"listings": stored})
