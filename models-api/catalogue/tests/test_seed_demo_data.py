from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from catalogue.demo_data import demo_listings, demo_users
from catalogue.management.commands.seed_demo_data import DEMO_PASSWORD
from catalogue.models import Category, Listing
from mpcommon import events
from outbox.models import OutboxEvent


@pytest.mark.django_db
class SeedDemoDataTest:
    def test_seeds_users_listings_views_and_events(self):
        call_command("seed_demo_data", stdout=StringIO())
        assert User.objects.count() >= 50
        assert Category.objects.count() >= 8
        assert Listing.objects.count() == 500
        assert Listing.objects.filter(view_count__gt=0).count() > 100
        assert Listing.objects.values("category").distinct().count() >= 8
        assert Listing.objects.values("title").distinct().count() > 200
        assert Listing.objects.values("price").distinct().count() > 100
        assert Listing.objects.filter(status="active").count() > 400
        # Every seeded listing is indexable right away: one valid listing.created event each.
        rows = list(OutboxEvent.objects.all())
        assert len(rows) == 500
        for row in rows[:50]:
            events.validate_event(events.TOPIC_LISTINGS, row.payload)
            assert row.event_type == events.LISTING_CREATED
        assert {int(row.key) for row in rows} == set(Listing.objects.values_list("id", flat=True))

    def test_demo_password_logs_in(self, api_client):
        call_command("seed_demo_data", stdout=StringIO())
        response = api_client.post(
            "/api/v1/authenticators", {"username": "demo", "password": DEMO_PASSWORD}, format="json"
        )
        assert response.status_code == 201
        other = User.objects.exclude(username="demo").first()
        assert other.check_password(DEMO_PASSWORD)

    def test_second_run_adds_nothing(self):
        call_command("seed_demo_data", stdout=StringIO())
        counts = (User.objects.count(), Listing.objects.count(), OutboxEvent.objects.count())
        out = StringIO()
        call_command("seed_demo_data", stdout=out)
        assert "nothing to do" in out.getvalue()
        assert (
            User.objects.count(),
            Listing.objects.count(),
            OutboxEvent.objects.count(),
        ) == counts

    def test_existing_usernames_are_not_duplicated(self):
        User.objects.create_user("Emma.Garcia", "e@example.com", "x")
        call_command("seed_demo_data", stdout=StringIO())
        assert User.objects.filter(username__iexact="emma.garcia").count() == 1


class DemoDataGeneratorTest:
    def test_same_seed_same_data(self):
        import random

        first = demo_listings(random.Random(1), 50, 10), demo_users(random.Random(1), 20)
        second = demo_listings(random.Random(1), 50, 10), demo_users(random.Random(1), 20)
        assert first == second

    def test_usernames_unique_ignoring_case(self):
        import random

        names = [user.username.lower() for user in demo_users(random.Random(3), 200)]
        assert len(names) == len(set(names))

    def test_listings_fit_the_model_limits(self):
        import random
        from decimal import Decimal

        for item in demo_listings(random.Random(5), 500, 60):
            assert 0 < len(item.title) <= 120
            assert len(item.description) <= 5000
            assert Decimal("0") <= item.price <= Decimal("1000000")
            assert item.price == item.price.quantize(Decimal("0.01"))
