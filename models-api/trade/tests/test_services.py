"""Order services on committed data with several connections: the races.

The seller accepts two buyers' orders of one listing at the same time from two
connections: both wait on the listing's row lock, exactly one is accepted, the other
gets 409 ``listing_not_active``. The partial unique indexes hold on their own too.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from model_bakery import baker

from catalogue.models import Category, Listing
from conftest import race_on_row_lock
from core.errors import Conflict
from trade import services
from trade.models import Order


@pytest.fixture
def trade_setup(db):
    category, _ = Category.objects.get_or_create(
        slug="race-test", defaults={"name": "Race test", "position": 99}
    )
    seller = baker.make("accounts.User", username="race-seller", email="s@example.com")
    buyers = [
        baker.make("accounts.User", username=f"race-buyer-{n}", email=f"b{n}@example.com")
        for n in range(2)
    ]
    listing = baker.make(
        Listing, seller=seller, category=category, title="Guitar", description="-", price="90.00"
    )
    orders = [
        baker.make(
            Order,
            listing=listing,
            listing_title=listing.title,
            listing_price=listing.price,
            buyer=buyer,
            seller=seller,
        )
        for buyer in buyers
    ]
    return listing, seller, orders


@pytest.mark.django_db(transaction=True)
class ConcurrentAcceptTest:
    def test_two_concurrent_accepts_one_wins_the_other_is_409(self, trade_setup):
        listing, seller, orders = trade_setup
        outcomes: dict[int, object] = {}

        def accept(order_id: int) -> None:
            try:
                outcomes[order_id] = services.act_on_order(
                    order_id=order_id, actor=seller, action="accept"
                ).status
            except Conflict as exc:
                outcomes[order_id] = exc

        # Both accepts are in flight (queued on the listing's row lock) before either
        # can go on.
        race_on_row_lock(
            "catalogue_listing", listing.id, [lambda o=o: accept(o.id) for o in orders]
        )
        assert sorted(str(type(o).__name__) for o in outcomes.values()) == ["Conflict", "str"]
        [conflict] = [o for o in outcomes.values() if isinstance(o, Conflict)]
        assert conflict.code == "listing_not_active"
        statuses = sorted(Order.objects.filter(listing=listing).values_list("status", flat=True))
        assert statuses == ["accepted", "requested"]
        listing.refresh_from_db()
        assert (listing.status, listing.version) == ("reserved", 2)

    def test_index_rejects_a_second_accepted_order_inserted_directly(self, trade_setup):
        listing, seller, orders = trade_setup
        Order.objects.filter(pk=orders[0].pk).update(status="accepted")
        with pytest.raises(IntegrityError), transaction.atomic():
            Order.objects.filter(pk=orders[1].pk).update(status="accepted")
        assert Order.objects.filter(listing=listing, status="accepted").count() == 1

    def test_index_rejects_a_second_open_order_of_one_buyer(self, trade_setup):
        listing, seller, orders = trade_setup
        with pytest.raises(IntegrityError), transaction.atomic():
            baker.make(
                Order,
                listing=listing,
                listing_title="x",
                listing_price="1.00",
                buyer=orders[0].buyer,
                seller=seller,
            )
        # a closed order does not count
        baker.make(
            Order, listing=listing, listing_title="x", listing_price="1.00",
            buyer=orders[0].buyer, seller=seller, status="declined",
        )  # fmt: skip
