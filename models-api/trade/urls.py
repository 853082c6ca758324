from django.urls import path

from trade import api

urlpatterns = [
    path("orders", api.OrderCollectionApi.as_view(), name="orders"),
    path("orders/<id:order_id>", api.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<id:order_id>/actions", api.OrderActionApi.as_view(), name="order-actions"),
    path(
        "listings/<id:listing_id>/messages",
        api.ListingMessageApi.as_view(),
        name="listing-messages",
    ),
    path("threads", api.ThreadCollectionApi.as_view(), name="threads"),
    path("threads/unread", api.ThreadUnreadApi.as_view(), name="threads-unread"),
    path("threads/<id:thread_id>", api.ThreadDetailApi.as_view(), name="thread-detail"),
    path("threads/<id:thread_id>/messages", api.ThreadMessageApi.as_view(), name="thread-messages"),
    path("threads/<id:thread_id>/read", api.ThreadReadApi.as_view(), name="thread-read"),
]
