from django.urls import path

from photos import api

urlpatterns = [
    path("listings/<id:listing_id>/photos", api.ListingPhotosApi.as_view(), name="listing-photos"),
    path(
        "listings/<id:listing_id>/photos/<id:photo_id>",
        api.ListingPhotoApi.as_view(),
        name="listing-photo",
    ),
    path("media/<str:key>", api.MediaApi.as_view(), name="media"),
    path(
        "photos/<id:photo_id>/thumbnails",
        api.PhotoThumbnailsApi.as_view(),
        name="photo-thumbnails",
    ),
]
