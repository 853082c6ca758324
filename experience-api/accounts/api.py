"""Account endpoints: signup, login, logout, me (GET and PATCH), the viewer fragment,
password change and the password reset (request, check, confirm)."""

import logging

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import PREFETCHED_ATTR, BearerRequired
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
from accounts.viewer import MAX_FAVOURITE_IDS, ViewerPartMixin, mark_never_cached
from clients import models_api
from clients.events import publish_page_view
from config.schema import ErrorOutput
from favourites.serializers import ListingIdsField
from listings import selectors as listing_selectors
from mpcommon.api_fields import IdField
from trade.selectors import unread_messages

logger = logging.getLogger(__name__)


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


class ViewerInput(serializers.Serializer):
    listings = ListingIdsField(
        required=False,
        default=list,
        help_text=f"Comma-separated listing ids, at most {MAX_FAVOURITE_IDS} (the page's "
        "hearts); empty or absent: none.",
    )
    viewed = IdField(
        required=False,
        help_text="The listing whose page this is: a page view is recorded for the viewer "
        "unless they are its seller.",
    )


# One instance validates every query: a serializer made per request deep-copies its
# fields (32 us against 8 us: a tenth of the request's time in Django); validating keeps
# nothing of the request on the instance.
_VIEWER_QUERY = ViewerInput()


class ViewerOutput(serializers.Serializer):
    viewer = MeOutput(help_text="What GET /me answers.")
    favourited = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="The ids among listings the viewer favourited, in the order given; "
        "null when models-api could not say.",
    )


class ViewerView(ViewerPartMixin, APIView):
    """The viewer fragment of an edge-assembled page (docs/edge-assembly.md).

    HAProxy asks it on every logged-in page view, so it reads everything it needs in the
    authenticator's Redis round trip (``prefetch_user_keys``): the unread count, the
    hearts and, with ``viewed``, that listing's seller (listings.selectors.seller_id).
    """

    permission_classes = [BearerRequired]
    query: dict | None = None
    query_errors = None

    def initial(self, request, *args, **kwargs):
        # The query before the authenticator (so its keys are read with it); a
        # malformed one is answered after it, as everywhere: 401 or 503 before 400.
        try:
            self.query = _VIEWER_QUERY.run_validation(request.query_params)
            self.viewer_listing_ids = self.query["listings"]
        except exceptions.ValidationError as exc:
            self.query_errors = exc.detail
        super().initial(request, *args, **kwargs)

    def prefetch_user_keys(self, user_id: int) -> list[str]:
        keys = super().prefetch_user_keys(user_id)
        viewed = (self.query or {}).get("viewed")
        return keys if viewed is None else [*keys, *listing_selectors.seller_keys(viewed)]

    @extend_schema(
        parameters=[ViewerInput],
        responses={200: ViewerOutput, **{code: ErrorOutput for code in (400, 401, 503)}},
        summary="The viewer's part of a logged-in page (edge assembly)",
        description="The viewer as GET /me answers it and which of listings they "
        "favourited. With viewed, a page view of that listing is recorded for the viewer, "
        "unless they are its seller; a listing that does not exist records nothing (and "
        "the answer is still 200). A 400 records nothing.",
    )
    def get(self, request):
        if self.query is None:
            raise exceptions.ValidationError(self.query_errors)
        user = request.user
        if self.query.get("viewed") is not None:
            self._publish_page_view(request, self.query["viewed"], user.id)
        return Response(self.authenticated_viewer_part(request, user))

    def _publish_page_view(self, request, listing_id: int, user_id: int) -> None:
        # The rule of ListingDetailView: the seller looking at their own listing is not
        # a view of it. A listing that cannot be read now gets none, as there.
        found = getattr(request, PREFETCHED_ATTR, None)
        try:
            seller_id = listing_selectors.seller_id(
                listing_id, known=listing_selectors.NOT_READ if found is None else found
            )
        except models_api.ModelsApiError as exc:
            if not isinstance(exc, models_api.NotFound):
                logger.warning(
                    "page view not recorded: listing unreadable",
                    extra={"listing_id": listing_id, "error": type(exc).__name__},
                )
            return
        if user_id != seller_id:
            publish_page_view(listing_id, user_id)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return mark_never_cached(response)  # whatever the status, as NeverCachedView


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
