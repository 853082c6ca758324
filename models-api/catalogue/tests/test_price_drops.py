"""A lower price on an active listing emails the users who favourited it, once per
listing version and user: the change records one price drop in its transaction, the
mailer's queue fans it out after the commit (here run by hand: the test transaction
never commits)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from model_bakery import baker

from conftest import auth
from favourites import services as favourite_services
from favourites.models import Favourite, PriceDrop
from favourites.services import fan_out_price_drop, record_price_drop
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
    """The price-drop emails, once every recorded drop has been fanned out."""
    for drop in PriceDrop.objects.filter(fanned_out_at__isnull=True).order_by("id"):
        fan_out_price_drop(drop.id)
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
        assert len(drop_emails()) == 2
        patch(api_client, listing, {"price": "250.00"}, authenticator)
        assert len(drop_emails()) == 4

    def test_the_same_version_writes_nothing_twice(self, listing, fans):
        listing.price = Decimal("100.00")
        listing.save(update_fields=["price"])
        with transaction.atomic():
            drop = record_price_drop(listing=listing, old_price=Decimal("350.00"))
            assert record_price_drop(listing=listing, old_price=Decimal("350.00")) is None
        assert fan_out_price_drop(drop.id) == 2
        assert fan_out_price_drop(drop.id) == 0  # done
        PriceDrop.objects.filter(pk=drop.pk).update(fanned_out_at=None)
        assert fan_out_price_drop(drop.id) == 0  # run again anyway: the dedupe keys hold
        assert len(drop_emails()) == 2


@pytest.mark.django_db
class PriceDropFanOutTest:
    """The seller's change writes one row, whatever the number of fans; the emails come
    from the fan-out after the commit, in batches."""

    def test_the_change_writes_one_drop_and_no_email_and_enqueues_the_fan_out(
        self, api_client, listing, authenticator, monkeypatch, django_capture_on_commit_callbacks
    ):
        enqueued = []
        monkeypatch.setattr(favourite_services, "_enqueue_fan_out", enqueued.append)
        with django_capture_on_commit_callbacks(execute=True):
            response = patch(api_client, listing, {"price": "99.00"}, authenticator)
        assert response.status_code == 200
        [drop] = PriceDrop.objects.all()
        assert (drop.version, str(drop.old_price), str(drop.new_price)) == (2, "350.00", "99.00")
        assert enqueued == [drop.id]
        assert not Email.objects.exists()

    def test_fans_are_emailed_in_batches(self, api_client, listing, authenticator, fans):
        more = [
            baker.make("accounts.User", username=f"more{n}", email=f"more{n}@example.com")
            for n in range(3)
        ]
        for fan in more:
            baker.make(Favourite, user=fan, listing=listing)
        patch(api_client, listing, {"price": "99.00"}, authenticator)
        [drop] = PriceDrop.objects.all()
        assert fan_out_price_drop(drop.id, batch_size=2) == 5
        assert len(drop_emails()) == 5
        drop.refresh_from_db()
        assert drop.fanned_out_at is not None

    @pytest.mark.parametrize(
        "later", [{"price": "120.00"}, {"price": "80.00"}, {"status": "withdrawn"}]
    )
    def test_a_drop_superseded_before_its_fan_out_emails_nobody(
        self, api_client, listing, authenticator, later
    ):
        patch(api_client, listing, {"price": "99.00"}, authenticator)
        [first] = PriceDrop.objects.all()
        patch(api_client, listing, later, authenticator)
        assert fan_out_price_drop(first.id) == 0
        first.refresh_from_db()
        assert first.fanned_out_at is not None
        # A further drop (99 -> 80) is a drop of its own, with the price it says.
        emails = drop_emails()
        if later.get("price") == "80.00":
            assert len(emails) == 2 and all("$80.00" in e.subject for e in emails)
        else:
            assert emails == []

    def test_a_title_change_since_still_sends_the_drop(self, api_client, listing, authenticator):
        patch(api_client, listing, {"price": "99.00"}, authenticator)
        patch(api_client, listing, {"title": "Road bike, serviced"}, authenticator)
        emails = drop_emails()
        assert len(emails) == 2
        assert all("Road bike, serviced is now $99.00" in e.subject for e in emails)

    def test_a_fan_out_failing_midway_keeps_its_batch_unwritten_for_a_retry(
        self, api_client, listing, authenticator, monkeypatch
    ):
        patch(api_client, listing, {"price": "1.00"}, authenticator)
        [drop] = PriceDrop.objects.all()
        real_queue_email, calls = favourite_services.queue_email, []

        def second_call_fails(**email):
            calls.append(email["to"])
            if len(calls) == 2:
                raise RuntimeError("the database went away")
            return real_queue_email(**email)

        monkeypatch.setattr(favourite_services, "queue_email", second_call_fails)
        with pytest.raises(RuntimeError):
            fan_out_price_drop(drop.id)
        assert not Email.objects.exists()
        drop.refresh_from_db()
        assert drop.fanned_out_at is None
        monkeypatch.setattr(favourite_services, "queue_email", real_queue_email)
        assert len(drop_emails()) == 2

    def test_the_sweep_fans_out_drops_whose_task_was_lost(self, api_client, listing, authenticator):
        patch(api_client, listing, {"price": "99.00"}, authenticator)
        assert favourite_services.sweep_price_drops() == 0  # too recent: its task may run
        PriceDrop.objects.update(
            created_at=timezone.now()
            - timedelta(seconds=favourite_services.SWEEP_AFTER_SECONDS + 1)
        )
        assert favourite_services.sweep_price_drops() == 1
        assert Email.objects.filter(kind=PRICE_DROP).count() == 2
        assert favourite_services.sweep_price_drops() == 0

    def test_enqueueing_with_redis_down_leaves_the_drop_to_the_sweep(self, listing, monkeypatch):
        from favourites import tasks

        def redis_down(drop_id):
            raise ConnectionError("redis down")

        monkeypatch.setattr(tasks, "fan_out_price_drop_task", redis_down)
        favourite_services._enqueue_fan_out(12345)  # does not raise
