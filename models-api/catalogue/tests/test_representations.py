"""The representation functions match the documented (OpenAPI) and event shapes."""

from __future__ import annotations

import pytest

from accounts.serializers import UserOut, UserWithEmailOut, user_representation
from catalogue.serializers import (
    ListingOut,
    SellerOut,
    listing_document,
    listing_representation,
)
from mpcommon import events


@pytest.mark.django_db
class RepresentationTest:
    def test_listing_matches_openapi_serializer(self, make_listing):
        document = listing_representation(make_listing())
        assert set(document) == set(ListingOut().fields)
        assert set(document["seller"]) == set(SellerOut().fields)

    def test_listing_document_is_a_valid_event_payload(self, make_listing):
        listing = make_listing(price="1000000.00")
        event = events.listing_event(
            events.LISTING_UPDATED, listing.id, listing.version, listing_document(listing)
        )
        events.validate_event(events.TOPIC_LISTINGS, event)

    def test_the_document_is_the_representation_without_the_favourite_count(self, make_listing):
        listing = make_listing(favourite_count=3)
        representation = listing_representation(listing)
        assert representation.pop("favourite_count") == 3
        assert representation == listing_document(listing)

    def test_user_matches_openapi_serializers(self, user):
        assert set(user_representation(user)) == set(UserOut().fields)
        assert set(user_representation(user, with_email=True)) == set(UserWithEmailOut().fields)
