from django.urls import path

from catalogue import api

urlpatterns = [
    path("categories", api.CategoryListApi.as_view(), name="categories"),
    path("listings", api.ListingCollectionApi.as_view(), name="listings"),
    path("listings/views", api.ListingViewsApi.as_view(), name="listing-views"),
    path("listings/<id:listing_id>", api.ListingDetailApi.as_view(), name="listing-detail"),
    path(
        "listings/<id:listing_id>/recommendations",
        api.ListingRecommendationsApi.as_view(),
        name="listing-recommendations",
    ),
    path("recommendations", api.RecommendationsApi.as_view(), name="recommendations"),
]
