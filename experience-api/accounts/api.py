"""Account endpoints: signup, login, logout, me."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import BearerRequired
from accounts.serializers import LoginInput, OwnUserOutput, SessionOutput, SignupInput
from config.schema import ErrorOutput


class SignupView(APIView):
    authentication_classes: list = []

    @extend_schema(
        request=SignupInput, responses={201: SessionOutput, 400: ErrorOutput, 503: ErrorOutput}
    )
    def post(self, request):
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.sign_up(**data.validated_data), status=201)


class LoginView(APIView):
    authentication_classes: list = []

    @extend_schema(
        request=LoginInput,
        responses={200: SessionOutput, 400: ErrorOutput, 401: ErrorOutput, 503: ErrorOutput},
    )
    def post(self, request):
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.log_in(**data.validated_data))


class LogoutView(APIView):
    permission_classes = [BearerRequired]

    @extend_schema(request=None, responses={204: None, 401: ErrorOutput, 503: ErrorOutput})
    def post(self, request):
        services.log_out(token=request.auth)
        return Response(status=204)


class MeView(APIView):
    permission_classes = [BearerRequired]

    @extend_schema(responses={200: OwnUserOutput, 401: ErrorOutput})
    def get(self, request):
        return Response(request.user.as_dict())
