"""Orders and buyer-seller conversations (docs/selling-and-buying.md): thin views that
validate, call one service or selector, and answer. Private to the viewer: never cached."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from accounts.api import NeverCachedView
from accounts.authentication import BearerRequired
from config.schema import ErrorOutput
from trade import selectors, services
from trade.serializers import (
    MessageInput,
    MessageOutput,
    OrderActionInput,
    OrderCreateInput,
    OrderOutput,
    OrderPageOutput,
    OrdersQueryInput,
    PageInput,
    ThreadDetailOutput,
    ThreadMessageOutput,
    ThreadPageOutput,
)

_ERRORS = {400: ErrorOutput, 401: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}
_CONFLICT = {409: ErrorOutput, 503: ErrorOutput}
_PAGE = [OpenApiParameter("page", int, default=1)]


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TradeView(NeverCachedView):
    permission_classes = [BearerRequired]


class OrderCollectionView(TradeView):
    @extend_schema(
        operation_id="orders_list",  # not orders_retrieve: that is GET /orders/{order_id}
        parameters=[OpenApiParameter("role", str, enum=["buyer", "seller"]), *_PAGE],
        responses={200: OrderPageOutput, **_ERRORS, 503: ErrorOutput},
        summary="The viewer's purchases and sales, newest first",
    )
    def get(self, request):
        query = _valid(OrdersQueryInput, request.query_params)
        return Response(
            selectors.orders_page(user=request.user, role=query.get("role"), page=query["page"])
        )

    @extend_schema(
        request=OrderCreateInput,
        responses={201: OrderOutput, 200: OrderOutput, **_ERRORS, **_CONFLICT},
        summary="Request to buy an active listing (200: the viewer's open order for it)",
    )
    def post(self, request):
        data = _valid(OrderCreateInput, request.data)
        order, created = services.place_order(
            user=request.user, listing_id=data["listing"], message=data.get("message", "")
        )
        return Response(order, status=201 if created else 200)


class OrderDetailView(TradeView):
    @extend_schema(responses={200: OrderOutput, **_ERRORS, 503: ErrorOutput})
    def get(self, request, order_id: str):
        return Response(selectors.order(user=request.user, order_id=int(order_id)))


class OrderActionView(TradeView):
    @extend_schema(
        request=OrderActionInput,
        responses={200: OrderOutput, **_ERRORS, **_CONFLICT},
        summary="Accept, decline, complete or cancel (who may follows the order's state)",
    )
    def post(self, request, order_id: str):
        data = _valid(OrderActionInput, request.data)
        return Response(
            services.act_on_order(user=request.user, order_id=int(order_id), action=data["action"])
        )


class ThreadCollectionView(TradeView):
    @extend_schema(
        operation_id="threads_list",  # not threads_retrieve: GET /threads/{thread_id}
        parameters=_PAGE,
        responses={200: ThreadPageOutput, **_ERRORS, 503: ErrorOutput},
        summary="The viewer's conversations, latest activity first, with unread counts",
    )
    def get(self, request):
        query = _valid(PageInput, request.query_params)
        return Response(selectors.threads_page(user=request.user, page=query["page"]))


class ListingMessageView(TradeView):
    @extend_schema(
        request=MessageInput,
        responses={201: ThreadMessageOutput, 200: ThreadMessageOutput, **_ERRORS, 503: ErrorOutput},
        summary="Write to a listing's seller (starts or continues the conversation)",
    )
    def post(self, request, listing_id: str):
        data = _valid(MessageInput, request.data)
        answer, created = services.message_seller(
            user=request.user,
            listing_id=int(listing_id),
            body=data["body"],
            client_token=data.get("client_token", ""),
        )
        return Response(answer, status=201 if created else 200)


class ThreadDetailView(TradeView):
    @extend_schema(
        parameters=_PAGE,
        responses={200: ThreadDetailOutput, **_ERRORS, 503: ErrorOutput},
        summary="One conversation (newest page 1); marks it read for the viewer",
    )
    def get(self, request, thread_id: str):
        query = _valid(PageInput, request.query_params)
        return Response(
            services.open_thread(user=request.user, thread_id=int(thread_id), page=query["page"])
        )

    @extend_schema(
        request=MessageInput,
        responses={201: MessageOutput, 200: MessageOutput, **_ERRORS, 503: ErrorOutput},
        summary="Reply in a conversation",
    )
    def post(self, request, thread_id: str):
        data = _valid(MessageInput, request.data)
        message, created = services.reply_in_thread(
            user=request.user,
            thread_id=int(thread_id),
            body=data["body"],
            client_token=data.get("client_token", ""),
        )
        return Response(message, status=201 if created else 200)
