"""``python manage.py seed_demo_data``: realistic demo users and listings, idempotently.

Run by ``make up`` on an empty database. A second run adds nothing (the demo account
``demo`` marks a seeded database). Every demo user's password is ``demo-password-123``
(documented in README.md). Seeded listings get ``listing.created`` outbox rows, so the
relay publishes them and search works right after start-up.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from catalogue.demo_data import demo_listings, demo_users
from catalogue.models import Category, Listing
from catalogue.serializers import listing_document
from mpcommon import events
from outbox.models import OutboxEvent
from outbox.services import notify_relay

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-123"
MARKER_USERNAME = "demo"
SEED = 20261121
SEED_LOCK_KEY = 0x73656564  # "seed"


class Command(BaseCommand):
    help = "Seed demo users, listings and view counts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=60)
        parser.add_argument("--listings", type=int, default=500)
        parser.add_argument("--seed", type=int, default=SEED)

    def handle(self, *args, users: int, listings: int, seed: int, **options):
        started = time.monotonic()
        with transaction.atomic():
            # Serialize concurrent runs: the second waits, then sees the marker and stops.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEED_LOCK_KEY])
            if User.objects.alias(u=Lower("username")).filter(u=MARKER_USERNAME).exists():
                self.stdout.write("demo data already present; nothing to do")
                return
            created_users, created_listings = self._seed(users, listings, seed)
        elapsed = time.monotonic() - started
        logger.info(
            "demo data seeded",
            extra={"users": created_users, "listings": created_listings, "seconds": elapsed},
        )
        self.stdout.write(
            f"seeded {created_users} users and {created_listings} listings in {elapsed:.1f}s"
        )

    def _seed(self, user_count: int, listing_count: int, seed: int) -> tuple[int, int]:
        rng = random.Random(seed)
        now = timezone.now()
        # Hashing is deliberately slow (Argon2): hash once, share the hash.
        password_hash = make_password(DEMO_PASSWORD)
        people = demo_users(rng, user_count)
        taken = set(
            User.objects.annotate(u=Lower("username"))
            .filter(u__in=[p.username for p in people])
            .values_list("u", flat=True)
        )
        new_users = [
            User(
                username=MARKER_USERNAME,
                email="demo@example.com",
                display_name="Demo User",
                password=password_hash,
                date_joined=now - timedelta(days=120),
            )
        ] + [
            User(
                username=person.username,
                email=person.email,
                display_name=person.display_name,
                password=password_hash,
                date_joined=now - timedelta(days=rng.randint(91, 400)),
            )
            for person in people
            if person.username not in taken
        ]
        sellers = User.objects.bulk_create(new_users)

        categories = {category.slug: category for category in Category.objects.all()}
        rows = []
        for item in demo_listings(rng, listing_count, len(sellers)):
            created_at = now - timedelta(seconds=item.age_seconds)
            rows.append(
                Listing(
                    seller=sellers[item.seller_index],
                    category=categories[item.category_slug],
                    title=item.title,
                    description=item.description,
                    price=item.price,
                    condition=item.condition,
                    status=item.status,
                    view_count=item.view_count,
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
        created = Listing.objects.bulk_create(rows, batch_size=500)
        OutboxEvent.objects.bulk_create(
            [
                OutboxEvent(
                    topic=settings.OUTBOX_LISTINGS_TOPIC,
                    key=str(listing.id),
                    event_type=events.LISTING_CREATED,
                    payload=events.listing_event(
                        events.LISTING_CREATED,
                        listing.id,
                        listing.version,
                        listing_document(listing),
                    ),
                )
                for listing in created
            ],
            batch_size=500,
        )
        notify_relay()
        return len(sellers), len(created)
