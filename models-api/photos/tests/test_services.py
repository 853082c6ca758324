"""The gallery under concurrency, on real PostgreSQL: the listing's row lock makes two
uploads that would together pass the maximum one success and one refusal."""

from __future__ import annotations

import pytest
from model_bakery import baker

from catalogue import services
from catalogue.models import Category, Listing
from conftest import race_on_row_lock
from core.errors import ValidationFailed
from mpcommon.imaging import reencode_upload
from photos.models import Photo
from testsupport.images import png


@pytest.mark.django_db(transaction=True)
class ConcurrentUploadTest:
    def test_two_uploads_racing_past_eight_one_wins(self):
        seller = baker.make("accounts.User", username="racer")
        listing = baker.make(
            Listing,
            seller=seller,
            # its own category: a transactional test elsewhere may have flushed the seeded ones
            category=baker.make(Category, slug="race-photos", name="Race photos"),
            title="Race",
            description="d",
            price="1.00",
        )
        images = [reencode_upload(png(20 + i, 20)) for i in range(5)]  # 5 + 5 > 8
        outcomes: list[object] = []

        def add() -> None:
            try:
                services.update_listing(
                    listing_id=listing.id, actor=seller, changes={}, images=images
                )
                outcomes.append("stored")
            except ValidationFailed as exc:
                outcomes.append(exc.fields)

        race_on_row_lock("catalogue_listing", listing.id, [add, add])
        assert sorted(map(str, outcomes)) == sorted(
            ["stored", str({"photos": ["At most 8 photos per listing."]})]
        )
        positions = list(Photo.objects.filter(listing=listing).values_list("position", flat=True))
        assert sorted(positions) == [0, 1, 2, 3, 4]
