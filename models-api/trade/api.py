"""HTTP endpoints of orders and buyer-seller messages (docs/selling-and-buying.md)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.schema import AUTHENTICATOR_PARAMETER, error_responses
from core.views import ServiceAPIView, validated
from mpcommon import trade_rules
from trade import selectors, services
from trade.serializers import (
    ROLES,
    MessageIn,
    MessageOut,
    OrderActionIn,
    OrderCreateIn,
    OrderOut,
    OrderPageOut,
    OrderQueryIn,
    PageQueryIn,
    ThreadDetailOut,
    ThreadMessageOut,
    ThreadPageOut,
    ThreadPageQueryIn,
    UnreadOut,
    message_representation,
    order_representation,
    thread_representation,
)

_PAGE_PARAMETERS = [
    OpenApiParameter("page", int, default=1),
    OpenApiParameter("page_size", int, default=20, description="1 to 100."),
]


def _query(request) -> dict:
    # An empty parameter means "no filter", like an absent one.
    return {key: value for key, value in request.query_params.items() if value != ""}


def _page_body(page, items: list) -> dict:
    return {
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "next": page.next_page,
        "previous": page.previous_page,
        "results": items,
    }


class OrderCollectionApi(ServiceAPIView):
    @extend_schema(
        operation_id="orders_list",
        parameters=[
            AUTHENTICATOR_PARAMETER,
            OpenApiParameter("role", str, enum=list(ROLES), description="Absent: both."),
            OpenApiParameter("status", str, enum=list(trade_rules.ORDER_STATE_VALUES)),
            *_PAGE_PARAMETERS,
        ],
        responses={200: OrderPageOut, **error_responses(400)},
        summary="The acting user's orders (as buyer, seller or both), newest first",
    )
    def get(self, request):
        user = self.acting_user()
        query = validated(OrderQueryIn, _query(request))
        page = selectors.order_page(
            user,
            role=query.get("role"),
            status=query.get("status"),
            page=query["page"],
            page_size=query["page_size"],
        )
        return Response(_page_body(page, [order_representation(o, user) for o in page.items]))

    @extend_schema(
        operation_id="orders_create",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=OrderCreateIn,
        responses={
            201: OrderOut,
            200: OrderOut,
            **error_responses(400, 403, 404, 409, 413),
        },
        summary="Request to buy a listing (200 with the buyer's open order if there is one)",
    )
    def post(self, request):
        buyer = self.acting_user()
        data = validated(OrderCreateIn, request.data)
        order, created = services.place_order(
            buyer=buyer, listing_id=data["listing"], message=data.get("message", "")
        )
        return Response(
            order_representation(order, buyer),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class OrderDetailApi(ServiceAPIView):
    @extend_schema(
        operation_id="orders_retrieve",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={200: OrderOut, **error_responses(403, 404)},
        summary="One order (its buyer or seller only)",
    )
    def get(self, request, order_id: int):
        user = self.acting_user()
        return Response(order_representation(selectors.order_by_id(order_id, user), user))


class OrderActionApi(ServiceAPIView):
    @extend_schema(
        operation_id="orders_action",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=OrderActionIn,
        responses={200: OrderOut, **error_responses(400, 403, 404, 409, 413)},
        summary="Accept, decline, complete or cancel an order",
    )
    def post(self, request, order_id: int):
        actor = self.acting_user()
        data = validated(OrderActionIn, request.data)
        order = services.act_on_order(order_id=order_id, actor=actor, action=data["action"])
        return Response(order_representation(order, actor))


class ListingMessageApi(ServiceAPIView):
    @extend_schema(
        operation_id="listings_messages_create",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=MessageIn,
        responses={
            201: ThreadMessageOut,
            200: ThreadMessageOut,
            **error_responses(400, 403, 404, 413),
        },
        summary="Write to a listing's seller (200 with the first message on a repeated token)",
    )
    def post(self, request, listing_id: int):
        sender = self.acting_user()
        data = validated(MessageIn, request.data)
        thread, message, created = services.message_seller(
            sender=sender,
            listing_id=listing_id,
            body=data["body"],
            client_token=data.get("client_token") or None,
        )
        body = {
            "thread": thread_representation(selectors.thread_for(thread.id, sender)),
            "message": message_representation(message),
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ThreadCollectionApi(ServiceAPIView):
    @extend_schema(
        operation_id="threads_list",
        parameters=[AUTHENTICATOR_PARAMETER, *_PAGE_PARAMETERS],
        responses={200: ThreadPageOut, **error_responses(400)},
        summary="The acting user's threads, latest activity first",
    )
    def get(self, request):
        user = self.acting_user()
        query = validated(PageQueryIn, _query(request))
        page = selectors.thread_page(user, page=query["page"], page_size=query["page_size"])
        return Response(_page_body(page, [thread_representation(t) for t in page.items]))


class ThreadUnreadApi(ServiceAPIView):
    @extend_schema(
        operation_id="threads_unread",
        parameters=[AUTHENTICATOR_PARAMETER],
        responses={200: UnreadOut, **error_responses()},
        summary="Unread messages over all of the acting user's threads",
    )
    def get(self, request):
        user = self.acting_user()
        return Response({"unread": selectors.unread_total(user)})


class ThreadDetailApi(ServiceAPIView):
    @extend_schema(
        operation_id="threads_retrieve",
        parameters=[
            AUTHENTICATOR_PARAMETER,
            OpenApiParameter("page", int, default=1, description="1 is the newest page."),
        ],
        responses={200: ThreadDetailOut, **error_responses(400, 403, 404)},
        summary="A thread and one page of its messages (participants only)",
    )
    def get(self, request, thread_id: int):
        user = self.acting_user()
        query = validated(ThreadPageQueryIn, _query(request))
        result = selectors.thread_messages(thread_id, user, page=query["page"])
        return Response(
            {
                "thread": thread_representation(result.thread),
                "messages": [message_representation(m) for m in result.messages],
                "count": result.count,
                "page": result.page,
                "pages": result.pages,
            }
        )


class ThreadMessageApi(ServiceAPIView):
    @extend_schema(
        operation_id="threads_messages_create",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=MessageIn,
        responses={201: MessageOut, 200: MessageOut, **error_responses(400, 403, 404, 413)},
        summary="Write in a thread (200 with the first message on a repeated token)",
    )
    def post(self, request, thread_id: int):
        sender = self.acting_user()
        data = validated(MessageIn, request.data)
        message, created = services.reply(
            thread_id=thread_id,
            sender=sender,
            body=data["body"],
            client_token=data.get("client_token") or None,
        )
        return Response(
            message_representation(message),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ThreadReadApi(ServiceAPIView):
    @extend_schema(
        operation_id="threads_read",
        parameters=[AUTHENTICATOR_PARAMETER],
        request=None,
        responses={204: None, **error_responses(403, 404)},
        summary="Mark the thread read for the acting user",
    )
    def post(self, request, thread_id: int):
        reader = self.acting_user()
        services.mark_read(thread_id=thread_id, reader=reader)
        return Response(status=status.HTTP_204_NO_CONTENT)
