from django.urls import path

from accounts import api

urlpatterns = [
    path("users", api.UserCreateApi.as_view(), name="users"),
    path("users/<id:user_id>", api.UserDetailApi.as_view(), name="user-detail"),
    path("password", api.PasswordChangeApi.as_view(), name="password"),
    path("password-resets", api.PasswordResetApi.as_view(), name="password-resets"),
    path(
        "password-resets/check", api.PasswordResetCheckApi.as_view(), name="password-resets-check"
    ),
    path(
        "password-resets/confirm",
        api.PasswordResetConfirmApi.as_view(),
        name="password-resets-confirm",
    ),
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
