"""HTTP endpoints of listing photos, media objects and thumbnails."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from catalogue import services
from catalogue.serializers import ListingOut, listing_representation
from core.errors import NotFound, ValidationFailed
from core.schema import AUTHENTICATOR_PARAMETER, error_responses
from core.views import ServiceAPIView
from mpcommon import photo_rules
from mpcommon.imaging import ImageRejected, check_thumbnail
from photos import storage, uploads
from photos.models import Photo
from photos.serializers import PhotoOut, PhotosUploadIn, ThumbnailsIn, photo_representation
from photos.services import store_thumbnails


class ListingPhotosApi(ServiceAPIView):
    parser_classes = [MultiPartParser]
    max_body_bytes = photo_rules.MAX_UPLOAD_BODY_BYTES

    @extend_schema(
        operation_id="listings_photos_add",
        parameters=[AUTHENTICATOR_PARAMETER],
        request={"multipart/form-data": PhotosUploadIn},
        responses={201: ListingOut, **error_responses(400, 403, 404, 413)},
        summary="Append photos to a listing (seller only); at most 8 in all",
    )
    def post(self, request, listing_id: int):
        actor = self.acting_user()
        if not uploads.is_multipart(request) or not request.FILES.getlist(uploads.PHOTOS_FIELD):
            raise ValidationFailed({uploads.PHOTOS_FIELD: ["Attach at least one photo."]})
        images = uploads.uploaded_photos(request)
        listing = services.update_listing(
            listing_id=listing_id, actor=actor, changes={}, images=images
        )
        return Response(listing_representation(listing), status=status.HTTP_201_CREATED)


class ListingPhotoApi(ServiceAPIView):
    @extend_schema(
        operation_id="listings_photos_remove",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={200: ListingOut, **error_responses(403, 404)},
        summary="Remove one photo of a listing (seller only); the others close up",
    )
    def delete(self, request, listing_id: int, photo_id: int):
        actor = self.acting_user()
        listing = services.update_listing(
            listing_id=listing_id, actor=actor, changes={}, remove_photo_id=photo_id
        )
        return Response(listing_representation(listing))


class MediaApi(ServiceAPIView):
    @extend_schema(
        operation_id="media_retrieve",
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The bytes."),
            **error_responses(404),
        },
        summary="A stored media object (photo or thumbnail) by its content-addressed key",
    )
    def get(self, request, key: str):
        if not photo_rules.MEDIA_KEY_RE.match(key):
            raise NotFound("No such media object.")
        found = storage.get(key)
        if found is None:
            raise NotFound("No such media object.")
        data, content_type = found
        response = HttpResponse(data, content_type=content_type)
        response["Content-Length"] = str(len(data))
        return response


class PhotoThumbnailsApi(ServiceAPIView):
    parser_classes = [MultiPartParser]
    max_body_bytes = 2 * photo_rules.MAX_PHOTO_BYTES + 64 * 1024

    @extend_schema(
        operation_id="photos_thumbnails_replace",
        request={"multipart/form-data": ThumbnailsIn},
        responses={200: PhotoOut, **error_responses(400, 404, 413)},
        summary="Store a photo's thumbnails (the worker; service token only); idempotent",
    )
    def put(self, request, photo_id: int):
        if not Photo.objects.filter(pk=photo_id).exists():
            raise NotFound("Photo not found.")
        thumbnails, problems = {}, {}
        for name in photo_rules.THUMBNAIL_SIZES:
            upload = request.FILES.get(name) if uploads.is_multipart(request) else None
            if upload is None:
                problems[name] = ["This file is required."]
                continue
            data = upload.read()
            try:
                width, height = check_thumbnail(data)
            except ImageRejected as exc:
                problems[name] = [str(exc)]
                continue
            if max(width, height) > photo_rules.THUMBNAIL_SIZES[name]:
                problems[name] = [f"At most {photo_rules.THUMBNAIL_SIZES[name]} px a side."]
                continue
            thumbnails[name] = data
        if problems:
            raise ValidationFailed(problems)
        photo = store_thumbnails(photo_id=photo_id, thumbnails=thumbnails)
        return Response(photo_representation(photo))
