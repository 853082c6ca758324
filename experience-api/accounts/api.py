"""Account endpoints: signup, login, logout, me (GET and PATCH), password change and
the password reset (request, check, confirm)."""

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import BearerRequired
from accounts.serializers import (
    LoginInput,
    MeOutput,
    PasswordChangeInput,
    PasswordResetCheckInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    ProfileUpdateInput,
    ResetCheckOutput,
    ResetConfirmOutput,
    ResetSentOutput,
    RevokedOutput,
    SessionOutput,
    SignupInput,
)
from config.schema import ErrorOutput
from trade.selectors import unread_messages


class NeverCachedView(APIView):
    """Answers carry an authenticator or the user's email: no cache (browser, proxy or
    CDN) may keep them, whatever their status."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
        add_never_cache_headers(response)
        response["Pragma"] = "no-cache"  # HTTP/1.0 caches
        return response


class SignupView(NeverCachedView):
    authentication_classes: list = []

    @extend_schema(
        request=SignupInput, responses={201: SessionOutput, 400: ErrorOutput, 503: ErrorOutput}
    )
    def post(self, request):
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.sign_up(**data.validated_data), status=201)


class LoginView(NeverCachedView):
    authentication_classes: list = []

    @extend_schema(
        request=LoginInput,
        responses={200: SessionOutput, 400: ErrorOutput, 401: ErrorOutput, 503: ErrorOutput},
    )
    def post(self, request):
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.log_in(**data.validated_data))


class LogoutView(NeverCachedView):
    permission_classes = [BearerRequired]

    @extend_schema(request=None, responses={204: None, 401: ErrorOutput, 503: ErrorOutput})
    def post(self, request):
        services.log_out(token=request.auth)
        return Response(status=204)


def _valid(serializer_class, data, **context) -> dict:
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class MeView(NeverCachedView):
    permission_classes = [BearerRequired]

    @extend_schema(responses={200: MeOutput, 401: ErrorOutput})
    def get(self, request):
        # The header's badge comes with the one call every logged-in page makes.
        return Response(
            {**request.user.as_dict(), "unread_messages": unread_messages(user=request.user)}
        )

    @extend_schema(
        request=ProfileUpdateInput,
        responses={200: MeOutput, **{code: ErrorOutput for code in (400, 401, 403, 503)}},
        summary="Change the viewer's display name and/or bio",
    )
    def patch(self, request):
        changes = _valid(ProfileUpdateInput, request.data)
        me = services.update_profile(user=request.user, changes=changes)
        return Response({**me, "unread_messages": unread_messages(user=request.user)})


class PasswordChangeView(NeverCachedView):
    permission_classes = [BearerRequired]

    @extend_schema(
        request=PasswordChangeInput,
        responses={200: RevokedOutput, **{code: ErrorOutput for code in (400, 401, 503)}},
        summary="Change the password; the viewer's other authenticators are revoked",
        description="The authenticator making the change stays valid; every other one "
        "of the user stops working at once.",
    )
    def post(self, request):
        data = _valid(PasswordChangeInput, request.data, user=request.user)
        return Response(services.change_password(user=request.user, **data))


class PasswordResetView(NeverCachedView):
    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetInput,
        responses={202: ResetSentOutput, 400: ErrorOutput, 503: ErrorOutput},
        summary="Email a password reset link",
        description="202 with the same answer whether or not an account uses the address "
        "(400 only for a malformed address, 503 if the request could not be recorded).",
    )
    def post(self, request):
        data = _valid(PasswordResetInput, request.data)
        return Response(services.request_password_reset(email=data["email"]), status=202)


class PasswordResetCheckView(NeverCachedView):
    """For the reset page: whose password a link resets, before the form is shown."""

    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetCheckInput,
        responses={200: ResetCheckOutput, 400: ErrorOutput, 503: ErrorOutput},
        summary="Whether a reset link can still be used (400 on token if not)",
    )
    def post(self, request):
        data = _valid(PasswordResetCheckInput, request.data)
        return Response(services.check_password_reset(token=data["token"]))


class PasswordResetConfirmView(NeverCachedView):
    authentication_classes: list = []

    @extend_schema(
        request=PasswordResetConfirmInput,
        responses={200: ResetConfirmOutput, 400: ErrorOutput, 503: ErrorOutput},
        summary="Set a new password with a reset link; every authenticator is revoked",
        description="The link works once and for an hour; afterwards (or after the "
        "password changed) it is a 400 on token and nothing changes.",
    )
    def post(self, request):
        data = _valid(PasswordResetConfirmInput, request.data)
        return Response(services.confirm_password_reset(**data))
