"""HTTP endpoints of users and authenticators (thin: validate, call, represent)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts import selectors, services
from accounts.serializers import (
    AuthenticatorOut,
    CredentialsIn,
    PasswordChangedOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetDoneOut,
    PasswordResetRequestIn,
    ProfileUpdateIn,
    ResetTokenCheckedOut,
    ResetTokenIn,
    ResolvedAuthenticatorOut,
    TokenIn,
    UserCreateIn,
    UserOut,
    UserWithEmailOut,
    authenticator_representation,
    resolved_authenticator_representation,
    user_representation,
)
from core.schema import AUTHENTICATOR_PARAMETER, error_responses
from core.views import AUTHENTICATOR_HEADER, ServiceAPIView, validated


class UserCreateApi(ServiceAPIView):
    @extend_schema(
        operation_id="users_create",
        request=UserCreateIn,
        responses={201: UserWithEmailOut, **error_responses(400, 413)},
        summary="Create a user (sign up)",
    )
    def post(self, request):
        data = validated(UserCreateIn, request.data)
        user = services.create_user(**data)
        return Response(user_representation(user, with_email=True), status=status.HTTP_201_CREATED)


class UserDetailApi(ServiceAPIView):
    @extend_schema(
        operation_id="users_retrieve",
        responses={200: UserOut, **error_responses(404)},
        summary="A user's public profile",
    )
    def get(self, request, user_id: int):
        return Response(user_representation(selectors.user_by_id(user_id)))

    @extend_schema(
        operation_id="users_partial_update",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=ProfileUpdateIn,
        responses={200: UserOut, **error_responses(400, 403, 413)},
        summary="Change one's own display name and bio (that user's authenticator only)",
    )
    def patch(self, request, user_id: int):
        actor = self.acting_user()
        data = validated(ProfileUpdateIn, request.data)
        user = services.update_profile(user_id=user_id, actor=actor, changes=dict(data))
        return Response(user_representation(user))


class PasswordChangeApi(ServiceAPIView):
    @extend_schema(
        operation_id="password_change",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=PasswordChangeIn,
        responses={200: PasswordChangedOut, **error_responses(400, 413)},
        summary="Change the acting user's password; their other authenticators are revoked",
    )
    def post(self, request):
        user = self.acting_user()
        data = validated(PasswordChangeIn, request.data)
        revoked = services.change_password(
            user=user, current_token=request.headers[AUTHENTICATOR_HEADER], **data
        )
        return Response({"revoked": revoked})


class PasswordResetApi(ServiceAPIView):
    @extend_schema(
        operation_id="password_resets_create",
        request=PasswordResetRequestIn,
        responses={
            202: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`{}`, whether or not an account uses the address (or was throttled).",
            ),
            **error_responses(400, 413),
        },
        summary="Email a reset link to the accounts using this address (202 whatever happens)",
    )
    def post(self, request):
        data = validated(PasswordResetRequestIn, request.data)
        services.request_password_reset(email=data["email"])
        return Response({}, status=status.HTTP_202_ACCEPTED)


class PasswordResetCheckApi(ServiceAPIView):
    @extend_schema(
        operation_id="password_resets_check",
        request=ResetTokenIn,
        responses={200: ResetTokenCheckedOut, **error_responses(400, 413)},
        summary="Whether a reset token is still valid (400 `token` if not), and for whom",
    )
    def post(self, request):
        data = validated(ResetTokenIn, request.data)
        user = services.check_reset_token(token=data["token"])
        return Response({"username": user.username})


class PasswordResetConfirmApi(ServiceAPIView):
    @extend_schema(
        operation_id="password_resets_confirm",
        request=PasswordResetConfirmIn,
        responses={200: PasswordResetDoneOut, **error_responses(400, 413)},
        summary="Set a new password with a reset token (once); every authenticator is revoked",
    )
    def post(self, request):
        data = validated(PasswordResetConfirmIn, request.data)
        user, revoked = services.reset_password(**data)
        return Response({"user_id": user.id, "revoked": revoked})


class AuthenticatorCreateApi(ServiceAPIView):
    @extend_schema(
        operation_id="authenticators_create",
        request=CredentialsIn,
        responses={
            201: AuthenticatorOut,
            **error_responses(400, 413),
            401: OpenApiResponse(
                error_responses(401)[401].response,
                description="`invalid_credentials`, or a missing/wrong service token.",
            ),
        },
        summary="Log in: issue an authenticator for correct credentials",
    )
    def post(self, request):
        data = validated(CredentialsIn, request.data)
        authenticator = services.issue_authenticator(**data)
        return Response(authenticator_representation(authenticator), status=status.HTTP_201_CREATED)


class AuthenticatorResolveApi(ServiceAPIView):
    @extend_schema(
        operation_id="authenticators_resolve",
        request=TokenIn,
        responses={200: ResolvedAuthenticatorOut, **error_responses(400)},
        summary="Resolve a token to its user (401 if unknown or expired)",
    )
    def post(self, request):
        data = validated(TokenIn, request.data)
        authenticator = selectors.live_authenticator(data["token"])
        return Response(resolved_authenticator_representation(authenticator))


class AuthenticatorRevokeApi(ServiceAPIView):
    @extend_schema(
        operation_id="authenticators_revoke",
        request=TokenIn,
        responses={204: None, **error_responses(400)},
        summary="Log out: delete the authenticator (204 also when already gone)",
    )
    def post(self, request):
        data = validated(TokenIn, request.data)
        services.revoke_authenticator(token=data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)
