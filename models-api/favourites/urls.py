from django.urls import path

from favourites import api

urlpatterns = [
    path("favourites", api.FavouriteCollectionApi.as_view(), name="favourites"),
    path("favourites/ids", api.FavouriteIdsApi.as_view(), name="favourite-ids"),
    path("favourites/<id:listing_id>", api.FavouriteDetailApi.as_view(), name="favourite-detail"),
]
