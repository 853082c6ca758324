"""Favourite counts on committed data with several connections: favourites arriving at
the same moment (other users, or one user's double click) count once each."""

from __future__ import annotations

import pytest
from model_bakery import baker

from catalogue.models import Category, Listing
from conftest import race_on_row_lock
from favourites import services
from favourites.models import Favourite


@pytest.fixture
def race_listing(db) -> Listing:
    # Its own category: a transactional test before this one may have flushed the seeds.
    category, _ = Category.objects.get_or_create(
        slug="race-test", defaults={"name": "Race test", "position": 99}
    )
    seller = baker.make("accounts.User", username="race-seller", email="s@example.com")
    return baker.make(
        Listing, seller=seller, category=category, title="Lamp", description="-", price="9.00"
    )


def race(listing: Listing, users: list) -> None:
    """Favourite ``listing`` for each of ``users`` at once, all queued on its row lock."""
    race_on_row_lock(
        "catalogue_listing",
        listing.id,
        [
            lambda user=user: services.add_favourite(user=user, listing_id=listing.id)
            for user in users
        ],
    )


@pytest.mark.django_db(transaction=True)
class ConcurrentFavouriteTest:
    def test_two_users_at_once_count_two(self, race_listing):
        users = [baker.make("accounts.User", username=f"fan{n}") for n in range(2)]
        race(race_listing, users)
        race_listing.refresh_from_db()
        assert race_listing.favourite_count == 2 == Favourite.objects.count()

    def test_one_users_double_click_counts_once(self, race_listing):
        fan = baker.make("accounts.User", username="fan")
        race(race_listing, [fan, fan])
        race_listing.refresh_from_db()
        assert race_listing.favourite_count == 1 == Favourite.objects.count()
