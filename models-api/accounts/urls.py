from django.urls import path

from accounts import api

urlpatterns = [
    path("users", api.UserCreateApi.as_view(), name="users"),
    path("users/<id:user_id>", api.UserDetailApi.as_view(), name="user-detail"),
    path("authenticators", api.AuthenticatorCreateApi.as_view(), name="authenticators"),
    path(
        "authenticators/resolve",
        api.AuthenticatorResolveApi.as_view(),
        name="authenticators-resolve",
    ),
    path(
        "authenticators/revoke", api.AuthenticatorRevokeApi.as_view(), name="authenticators-revoke"
    ),
]
