"""Account endpoints: signup, login, logout, me."""

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import BearerRequired
from accounts.serializers import LoginInput, MeOutput, SessionOutput, SignupInput
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


class MeView(NeverCachedView):
    permission_classes = [BearerRequired]

    @extend_schema(responses={200: MeOutput, 401: ErrorOutput})
    def get(self, request):
        # The header's badge comes with the one call every logged-in page makes.
        return Response(
            {**request.user.as_dict(), "unread_messages": unread_messages(user=request.user)}
        )
