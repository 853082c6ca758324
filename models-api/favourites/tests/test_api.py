"""Favourites through the HTTP API: idempotent PUT/DELETE, the count on the listing,
the favourites page and the ids lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from catalogue.models import Listing
from favourites.models import Favourite
from outbox.models import OutboxEvent
from photos.models import Blob, Photo


def put(client, listing_id, headers):
    return client.put(f"/api/v1/favourites/{listing_id}", **headers)


def delete(client, listing_id, headers):
    return client.delete(f"/api/v1/favourites/{listing_id}", **headers)


def count_of(listing) -> int:
    return Listing.objects.get(pk=listing.pk).favourite_count


@pytest.mark.django_db
class FavouritePutApiTest:
    def test_favouriting_is_200_with_the_new_count(self, api_client, listing, fan, fan_auth):
        response = put(api_client, listing.id, fan_auth)
        assert response.status_code == 200
        assert response.json() == {"listing": listing.id, "favourited": True, "count": 1}
        assert Favourite.objects.filter(user=fan, listing=listing).exists()
        assert count_of(listing) == 1

    def test_repeated_put_is_idempotent(self, api_client, listing, fan_auth):
        responses = [put(api_client, listing.id, fan_auth) for _ in range(3)]
        assert [r.json()["count"] for r in responses] == [1, 1, 1]
        assert Favourite.objects.count() == 1
        assert count_of(listing) == 1

    def test_count_is_over_all_users(self, api_client, listing, fan_auth, third_auth):
        put(api_client, listing.id, fan_auth)
        assert put(api_client, listing.id, third_auth).json()["count"] == 2
        assert count_of(listing) == 2

    def test_favouriting_is_not_a_listing_change(self, api_client, listing, fan_auth):
        put(api_client, listing.id, fan_auth)
        fresh = Listing.objects.get(pk=listing.pk)
        assert (fresh.version, fresh.updated_at) == (listing.version, listing.updated_at)
        assert not OutboxEvent.objects.exists()

    def test_listing_shows_its_favourite_count(self, api_client, listing, fan_auth):
        put(api_client, listing.id, fan_auth)
        assert api_client.get(f"/api/v1/listings/{listing.id}").json()["favourite_count"] == 1

    def test_any_status_may_be_favourited(self, api_client, make_listing, fan_auth):
        sold = make_listing(status="sold")
        assert put(api_client, sold.id, fan_auth).status_code == 200

    def test_own_listing_is_403_own_listing(self, api_client, listing, seller_auth):
        response = put(api_client, listing.id, seller_auth)
        assert response.status_code == 403
        assert response.json()["error"] == "own_listing"
        assert not Favourite.objects.exists()
        assert count_of(listing) == 0

    def test_unknown_listing_is_404(self, api_client, fan_auth):
        response = put(api_client, 999999, fan_auth)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
        assert not Favourite.objects.exists()

    def test_without_authenticator_is_401(self, api_client, listing):
        assert put(api_client, listing.id, {}).status_code == 401
        assert count_of(listing) == 0

    def test_without_service_token_is_401(self, anonymous_client, listing, fan_auth):
        assert put(anonymous_client, listing.id, fan_auth).status_code == 401


@pytest.mark.django_db
class FavouriteDeleteApiTest:
    def test_removing_is_200_with_the_new_count(
        self, api_client, listing, fan, fan_auth, third_auth
    ):
        put(api_client, listing.id, fan_auth)
        put(api_client, listing.id, third_auth)
        response = delete(api_client, listing.id, fan_auth)
        assert response.status_code == 200
        assert response.json() == {"listing": listing.id, "favourited": False, "count": 1}
        assert not Favourite.objects.filter(user=fan).exists()
        assert count_of(listing) == 1

    def test_repeated_delete_is_idempotent(self, api_client, listing, fan_auth, third_auth):
        put(api_client, listing.id, fan_auth)
        put(api_client, listing.id, third_auth)
        counts = [delete(api_client, listing.id, fan_auth).json()["count"] for _ in range(3)]
        assert counts == [1, 1, 1]
        assert count_of(listing) == 1

    def test_removing_what_was_never_favourited_changes_nothing(
        self, api_client, listing, fan_auth, third_auth
    ):
        put(api_client, listing.id, third_auth)
        response = delete(api_client, listing.id, fan_auth)
        assert (response.status_code, response.json()["count"]) == (200, 1)
        assert count_of(listing) == 1

    def test_unknown_listing_is_404(self, api_client, fan_auth):
        assert delete(api_client, 999999, fan_auth).status_code == 404

    def test_without_authenticator_is_401(self, api_client, listing, fan_auth):
        put(api_client, listing.id, fan_auth)
        assert delete(api_client, listing.id, {}).status_code == 401
        assert count_of(listing) == 1

    def test_deleting_the_listing_deletes_its_favourites(
        self, api_client, listing, fan_auth, seller_auth
    ):
        put(api_client, listing.id, fan_auth)
        assert api_client.delete(f"/api/v1/listings/{listing.id}", **seller_auth).status_code == 204
        assert not Favourite.objects.exists()


@pytest.mark.django_db
class FavouriteListApiTest:
    def favourite(self, user, listing, minutes_ago: int):
        return baker.make(
            Favourite,
            user=user,
            listing=listing,
            created_at=timezone.now() - timedelta(minutes=minutes_ago),
        )

    def test_newest_favourite_first_as_a_listing_page(
        self, api_client, make_listing, fan, fan_auth, third_user
    ):
        old, new, newest_listing = make_listing(), make_listing(), make_listing()
        self.favourite(fan, new, minutes_ago=5)
        self.favourite(fan, old, minutes_ago=1)  # favourited last: first
        self.favourite(third_user, newest_listing, minutes_ago=0)  # someone else's
        response = api_client.get("/api/v1/favourites", **fan_auth)
        assert response.status_code == 200
        body = response.json()
        assert (body["count"], body["page"], body["next"], body["previous"]) == (2, 1, None, None)
        assert body["page_size"] == 24
        assert [item["id"] for item in body["results"]] == [old.id, new.id]
        assert set(body["results"][0]) == set(api_client.get(f"/api/v1/listings/{old.id}").json())

    def test_pages(self, api_client, make_listing, fan, fan_auth):
        listings = [make_listing() for _ in range(5)]
        for minutes, listing in enumerate(listings):
            self.favourite(fan, listing, minutes_ago=minutes)
        body = api_client.get("/api/v1/favourites?page=2&page_size=2", **fan_auth).json()
        assert [item["id"] for item in body["results"]] == [listings[2].id, listings[3].id]
        assert (body["count"], body["next"], body["previous"]) == (5, 3, 1)

    def test_no_favourites_is_an_empty_page(self, api_client, fan_auth):
        body = api_client.get("/api/v1/favourites", **fan_auth).json()
        assert (body["count"], body["results"]) == (0, [])

    @pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=0", "page_size=101"])
    def test_bad_paging_is_400(self, api_client, fan_auth, query):
        response = api_client.get(f"/api/v1/favourites?{query}", **fan_auth)
        assert response.status_code == 400
        assert query.split("=")[0] in response.json()["fields"]

    @pytest.mark.parametrize("favourites", [1, 6])
    def test_query_count_does_not_grow(
        self, api_client, make_listing, fan, fan_auth, django_assert_num_queries, favourites
    ):
        for index in range(favourites):
            listing = make_listing()
            blob = baker.make(Blob, key=f"{index:064x}.webp", size=1)
            baker.make(Photo, listing=listing, position=0, original=blob, width=1, height=1)
            self.favourite(fan, listing, minutes_ago=index)
        # authenticator, COUNT, the joined page, the page's photos
        with django_assert_num_queries(4):
            body = api_client.get("/api/v1/favourites?page_size=100", **fan_auth).json()
        assert len(body["results"]) == favourites
        assert all(len(item["photos"]) == 1 for item in body["results"])

    def test_without_authenticator_is_401(self, api_client):
        assert api_client.get("/api/v1/favourites").status_code == 401


@pytest.mark.django_db
class FavouriteIdsApiTest:
    def test_the_subset_favourited_in_the_order_asked(
        self, api_client, make_listing, fan, fan_auth
    ):
        a, b, c = make_listing(), make_listing(), make_listing()
        baker.make(Favourite, user=fan, listing=a)
        baker.make(Favourite, user=fan, listing=c)
        response = api_client.get(
            f"/api/v1/favourites/ids?listings={c.id},{b.id},{a.id},999999", **fan_auth
        )
        assert response.status_code == 200
        assert response.json() == {"favourited": [c.id, a.id]}

    def test_other_users_favourites_do_not_count(self, api_client, listing, third_user, fan_auth):
        baker.make(Favourite, user=third_user, listing=listing)
        body = api_client.get(f"/api/v1/favourites/ids?listings={listing.id}", **fan_auth).json()
        assert body == {"favourited": []}

    @pytest.mark.parametrize("query", ["", "?listings=", "?listings=,"])
    def test_no_ids_is_empty(self, api_client, fan_auth, query):
        response = api_client.get(f"/api/v1/favourites/ids{query}", **fan_auth)
        assert response.json() == {"favourited": []}

    @pytest.mark.parametrize(
        "listings", ["abc", "1,-2", "0", "1.5", ",".join(str(n) for n in range(1, 102))]
    )
    def test_bad_ids_are_400(self, api_client, fan_auth, listings):
        response = api_client.get(f"/api/v1/favourites/ids?listings={listings}", **fan_auth)
        assert response.status_code == 400
        assert "listings" in response.json()["fields"]

    def test_one_query_after_the_authenticator(
        self, api_client, make_listing, fan, fan_auth, django_assert_num_queries
    ):
        ids = [make_listing().id for _ in range(10)]
        with django_assert_num_queries(2):
            api_client.get(f"/api/v1/favourites/ids?listings={','.join(map(str, ids))}", **fan_auth)

    def test_without_authenticator_is_401(self, api_client):
        assert api_client.get("/api/v1/favourites/ids?listings=1").status_code == 401


@pytest.mark.django_db
class FavouriteDatabaseRulesTest:
    def test_one_row_per_user_and_listing(self, listing, fan):
        baker.make(Favourite, user=fan, listing=listing)
        with pytest.raises(IntegrityError), transaction.atomic():
            baker.make(Favourite, user=fan, listing=listing)

    def test_count_never_below_zero(self, listing):
        with pytest.raises(IntegrityError), transaction.atomic():
            Listing.objects.filter(pk=listing.pk).update(favourite_count=-1)
