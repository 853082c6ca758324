"""A lower price on an active listing emails the users who favourited it, once per
listing version and user, in the transaction of the change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from model_bakery import baker

from catalogue import services
from conftest import auth
from favourites.models import Favourite
from favourites.services import write_price_drop_emails
from mpcommon import account_rules
from notifications.models import Email

PRICE_DROP = account_rules.EMAIL_PRICE_DROP


def patch(client, listing, body, authenticator):
    return client.patch(
        f"/api/v1/listings/{listing.id}", body, format="json", **auth(authenticator)
    )


@pytest.fixture
def fans(db):
    return [
        baker.make("accounts.User", username=f"fan{n}", email=f"fan{n}@example.com")
        for n in range(2)
    ]


@pytest.fixture
def listing(make_listing, fans):
    listing = make_listing(title="Road bike", price="350.00")
    for fan in fans:
        baker.make(Favourite, user=fan, listing=listing)
    return listing


def drop_emails():
    return list(Email.objects.filter(kind=PRICE_DROP).order_by("to_address"))


@pytest.mark.django_db
class PriceDropTest:
    def test_lower_price_emails_each_fan(self, api_client, listing, authenticator, fans):
        response = patch(api_client, listing, {"price": "1200.5"}, authenticator)
        assert response.status_code == 200
        response = patch(api_client, listing, {"price": "299.00"}, authenticator)
        assert response.status_code == 200
        emails = drop_emails()
        assert [e.to_address for e in emails] == ["fan0@example.com", "fan1@example.com"]
        version = response.json()["version"]
        assert [e.dedupe_key for e in emails] == [
            f"price-drop:{listing.id}:{version}:{fan.id}" for fan in fans
        ]
        email = emails[0]
        assert "Road bike" in email.subject and "$299.00" in email.subject
        assert "$299.00" in email.body and "$1,200.50" in email.body
        assert f"{settings.PUBLIC_URL}/listings/{listing.id}/" in email.body

    def test_raise_or_same_price_emails_nobody(self, api_client, listing, authenticator):
        patch(api_client, listing, {"price": "400.00"}, authenticator)
        patch(api_client, listing, {"price": "400"}, authenticator)
        assert drop_emails() == []

    def test_other_changes_email_nobody(self, api_client, listing, authenticator):
        patch(api_client, listing, {"title": "Cheaper bike"}, authenticator)
        assert drop_emails() == []

    def test_the_seller_never_gets_one(self, api_client, listing, authenticator, user):
        baker.make(Favourite, user=user, listing=listing)  # not through the API (403 there)
        patch(api_client, listing, {"price": "10.00"}, authenticator)
        assert user.email not in [e.to_address for e in drop_emails()]
        assert len(drop_emails()) == 2

    def test_inactive_fans_get_none(self, api_client, listing, authenticator, fans):
        type(fans[0]).objects.filter(pk=fans[0].pk).update(is_active=False)
        patch(api_client, listing, {"price": "10.00"}, authenticator)
        assert [e.to_address for e in drop_emails()] == ["fan1@example.com"]

    @pytest.mark.parametrize("status", ["withdrawn", "sold"])
    def test_not_active_after_the_change_emails_nobody(
        self, api_client, listing, authenticator, status
    ):
        patch(api_client, listing, {"price": "10.00", "status": status}, authenticator)
        assert drop_emails() == []

    def test_a_reserved_listing_emails_nobody(self, api_client, make_listing, fans, authenticator):
        reserved = make_listing(status="reserved", price="50.00")
        baker.make(Favourite, user=fans[0], listing=reserved)
        assert patch(api_client, reserved, {"price": "40.00"}, authenticator).status_code == 200
        assert drop_emails() == []

    def test_each_drop_is_its_own_email(self, api_client, listing, authenticator):
        patch(api_client, listing, {"price": "300.00"}, authenticator)
        patch(api_client, listing, {"price": "250.00"}, authenticator)
        assert len(drop_emails()) == 4

    def test_the_same_version_writes_nothing_twice(self, listing, fans):
        listing.price = Decimal("100.00")
        with transaction.atomic():
            assert write_price_drop_emails(listing=listing, old_price=Decimal("350.00")) == 2
            assert write_price_drop_emails(listing=listing, old_price=Decimal("350.00")) == 0
        assert len(drop_emails()) == 2

    def test_a_change_failing_midway_leaves_no_email_and_no_change(
        self, listing, user, monkeypatch
    ):
        from favourites import services as favourite_services

        real_queue_email, calls = favourite_services.queue_email, []

        def second_call_fails(**email):
            calls.append(email["to"])
            if len(calls) == 2:
                raise RuntimeError("the database went away")
            return real_queue_email(**email)

        monkeypatch.setattr(favourite_services, "queue_email", second_call_fails)
        with pytest.raises(RuntimeError):
            services.update_listing(listing_id=listing.id, actor=user, changes={"price": "1.00"})
        assert len(calls) == 2
        assert not Email.objects.exists()
        listing.refresh_from_db()
        assert (str(listing.price), listing.version) == ("350.00", 1)
