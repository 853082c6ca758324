from django.urls import path

from alerts import api

urlpatterns = [
    path("saved-searches", api.SavedSearchCollectionApi.as_view(), name="saved-searches"),
    path(
        "saved-searches/matches", api.SavedSearchMatchesApi.as_view(), name="saved-search-matches"
    ),
    path(
        "saved-searches/<id:search_id>",
        api.SavedSearchDetailApi.as_view(),
        name="saved-search-detail",
    ),
]
