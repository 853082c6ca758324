"""Saved searches through the HTTP API: save (capped, the same one again is 200), list,
pause/frequency, delete; every change recorded as a valid saved-search event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from model_bakery import baker

from alerts.models import AlertMatch, SavedSearch
from alerts.serializers import SavedSearchOut, saved_search_representation
from mpcommon import account_rules, events
from outbox.models import OutboxEvent

TOPIC = settings.OUTBOX_TOPIC_PREFIX + events.TOPIC_SAVED_SEARCHES
SEARCH_KEYS = {"id", "query", "filters", "frequency", "paused", "created_at", "search_url"}


def search_events(search_id: int | None = None) -> list[dict]:
    rows = OutboxEvent.objects.filter(topic=TOPIC).order_by("id")
    if search_id is not None:
        rows = rows.filter(key=str(search_id))
    payloads = [row.payload for row in rows]
    for payload in payloads:
        events.validate_event(events.TOPIC_SAVED_SEARCHES, payload)
    return payloads


def save(client, headers, **body):
    return client.post("/api/v1/saved-searches", body, format="json", **headers)


@pytest.mark.django_db
class SavedSearchCreateApiTest:
    def test_search_saved_as_201_with_filters_url_and_event(
        self, api_client, searcher, searcher_auth
    ):
        response = save(
            api_client,
            searcher_auth,
            query="  road   bike ",
            category="electronics",
            min_price="10",
            max_price=99.5,
            condition="like_new",
            frequency="daily",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == SEARCH_KEYS
        assert body["query"] == "road bike"
        assert body["filters"] == {
            "category": "electronics",
            "min_price": "10.00",
            "max_price": "99.50",
            "condition": "like_new",
        }
        assert (body["frequency"], body["paused"]) == ("daily", False)
        assert body["created_at"].endswith("Z")
        assert body["search_url"] == (
            "/search/?q=road+bike&category=electronics&min_price=10.00&max_price=99.50"
            "&condition=like_new"
        )
        search = SavedSearch.objects.get()
        assert (search.user, search.query) == (searcher, "road bike")
        [event] = search_events(search.id)
        assert event["type"] == events.SAVED_SEARCH_UPSERTED
        assert (event["saved_search_id"], event["user_id"]) == (search.id, searcher.id)
        assert event["saved_search"] == {
            "query": "road bike",
            "filters": body["filters"],
            "paused": False,
        }

    def test_defaults_instant_and_words_only(self, api_client, searcher_auth):
        body = save(api_client, searcher_auth, query="lamp").json()
        assert (body["frequency"], body["filters"], body["search_url"]) == (
            "instant",
            {},
            "/search/?q=lamp",
        )

    def test_filters_alone_without_words(self, api_client, searcher_auth):
        response = save(api_client, searcher_auth, query="", category="electronics")
        assert response.status_code == 201
        assert response.json()["search_url"] == "/search/?category=electronics"

    def test_null_or_empty_filters_are_not_set(self, api_client, searcher_auth):
        response = save(
            api_client, searcher_auth, query="lamp", category="", min_price=None, condition=None
        )
        assert response.status_code == 201
        assert response.json()["filters"] == {}

    def test_words_are_url_encoded(self, api_client, searcher_auth):
        body = save(api_client, searcher_auth, query="50% off & more").json()
        assert body["search_url"] == "/search/?q=50%25+off+%26+more"

    def test_the_same_search_again_is_200_with_the_existing_one(self, api_client, searcher_auth):
        first = save(api_client, searcher_auth, query="Road Bike", min_price="10.00")
        again = save(
            api_client, searcher_auth, query=" road  bike", min_price=10, frequency="daily"
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()  # kept as it was (PATCH changes the frequency)
        assert SavedSearch.objects.count() == 1
        assert len(search_events()) == 1

    def test_other_filters_are_another_search(self, api_client, searcher_auth):
        save(api_client, searcher_auth, query="bike")
        assert save(api_client, searcher_auth, query="bike", max_price="5").status_code == 201
        assert SavedSearch.objects.count() == 2

    def test_another_users_same_search_is_theirs(
        self, api_client, searcher_auth, third_auth, third_user
    ):
        save(api_client, searcher_auth, query="bike")
        response = save(api_client, third_auth, query="bike")
        assert response.status_code == 201
        assert SavedSearch.objects.get(pk=response.json()["id"]).user == third_user

    def test_at_most_the_cap_per_user(self, api_client, searcher, searcher_auth, third_auth):
        for n in range(account_rules.MAX_SAVED_SEARCHES):
            assert save(api_client, searcher_auth, query=f"thing {n}").status_code == 201
        response = save(api_client, searcher_auth, query="one too many")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "non_field_errors": [account_rules.MESSAGE_TOO_MANY_SAVED_SEARCHES]
        }
        assert SavedSearch.objects.filter(user=searcher).count() == 20
        assert len(search_events()) == 20
        # A search already saved is still answered, and others have their own cap.
        assert save(api_client, searcher_auth, query="thing 3").status_code == 200
        assert save(api_client, third_auth, query="one too many").status_code == 201

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"query": ""}, "query"),
            ({"query": "   "}, "query"),
            ({}, "query"),
            ({"query": "q" * (account_rules.SAVED_SEARCH_QUERY_MAX_LENGTH + 1)}, "query"),
            ({"query": 5}, "query"),
            ({"query": "x", "category": "no-such-category"}, "category"),
            ({"query": "x", "category": "Not a slug!"}, "category"),
            ({"query": "x", "min_price": "-1"}, "min_price"),
            ({"query": "x", "max_price": "1000000.01"}, "max_price"),
            ({"query": "x", "min_price": "1.005"}, "min_price"),
            ({"query": "x", "min_price": True}, "min_price"),
            ({"query": "x", "min_price": "20", "max_price": "10"}, "min_price"),
            ({"query": "x", "condition": "mint"}, "condition"),
            ({"query": "x", "frequency": "weekly"}, "frequency"),
            ({"query": "x", "paused": True}, "paused"),
            ({"query": "x", "sort": "newest"}, "sort"),
        ],
    )
    def test_invalid_input_is_400_per_field_and_saves_nothing(
        self, api_client, searcher_auth, body, field
    ):
        response = api_client.post("/api/v1/saved-searches", body, format="json", **searcher_auth)
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        assert not SavedSearch.objects.exists()
        assert search_events() == []

    def test_without_authenticator_is_401(self, api_client):
        assert save(api_client, {}, query="bike").status_code == 401
        assert not SavedSearch.objects.exists()


@pytest.mark.django_db
class SavedSearchListApiTest:
    def test_own_searches_newest_first(self, api_client, searcher, third_user, searcher_auth):
        now = timezone.now()
        old = baker.make(SavedSearch, user=searcher, query="old", created_at=now - timedelta(1))
        new = baker.make(SavedSearch, user=searcher, query="new", created_at=now)
        baker.make(SavedSearch, user=third_user, query="theirs")
        response = api_client.get("/api/v1/saved-searches", **searcher_auth)
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["id"] for r in results] == [new.id, old.id]
        assert set(results[0]) == SEARCH_KEYS

    @pytest.mark.parametrize("searches", [1, 20])
    def test_query_count_does_not_grow(
        self, api_client, searcher, searcher_auth, django_assert_num_queries, searches
    ):
        for n in range(searches):
            baker.make(SavedSearch, user=searcher, query=f"thing {n}")
        with django_assert_num_queries(2):  # the authenticator, the searches
            body = api_client.get("/api/v1/saved-searches", **searcher_auth).json()
        assert len(body["results"]) == searches

    def test_without_authenticator_is_401(self, api_client):
        assert api_client.get("/api/v1/saved-searches").status_code == 401


@pytest.mark.django_db
class SavedSearchUpdateApiTest:
    def patch(self, client, search, body, headers):
        return client.patch(f"/api/v1/saved-searches/{search.id}", body, format="json", **headers)

    def test_pause_is_200_and_recorded(self, api_client, searcher, searcher_auth, make_search):
        search = make_search(searcher, filters={"category": "electronics"})
        response = self.patch(api_client, search, {"paused": True}, searcher_auth)
        assert response.status_code == 200
        assert response.json()["paused"] is True
        search.refresh_from_db()
        assert search.paused
        [event] = search_events(search.id)
        assert event["type"] == events.SAVED_SEARCH_UPSERTED
        assert event["saved_search"] == {
            "query": "bike",
            "filters": {"category": "electronics"},
            "paused": True,
        }

    def test_frequency_and_resume(self, api_client, searcher, searcher_auth, make_search):
        search = make_search(searcher, paused=True)
        body = {"paused": False, "frequency": "daily"}
        response = self.patch(api_client, search, body, searcher_auth)
        assert (response.json()["paused"], response.json()["frequency"]) == (False, "daily")

    def test_another_users_search_is_403_and_unchanged(
        self, api_client, searcher, third_auth, make_search
    ):
        search = make_search(searcher)
        response = self.patch(api_client, search, {"paused": True}, third_auth)
        assert response.status_code == 403
        search.refresh_from_db()
        assert not search.paused
        assert search_events() == []

    def test_unknown_search_is_404(self, api_client, searcher_auth):
        response = api_client.patch(
            "/api/v1/saved-searches/999999", {"paused": True}, format="json", **searcher_auth
        )
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"paused": "true"}, "paused"),
            ({"paused": 1}, "paused"),
            ({"paused": None}, "paused"),
            ({"frequency": "hourly"}, "frequency"),
            ({"query": "other"}, "query"),
            ({}, "non_field_errors"),
        ],
    )
    def test_invalid_input_is_400_and_changes_nothing(
        self, api_client, searcher, searcher_auth, make_search, body, field
    ):
        search = make_search(searcher)
        response = self.patch(api_client, search, body, searcher_auth)
        assert response.status_code == 400
        assert field in response.json()["fields"]
        search.refresh_from_db()
        assert (search.query, search.paused, search.frequency) == ("bike", False, "instant")
        assert search_events() == []

    def test_without_authenticator_is_401(self, api_client, searcher, make_search):
        assert (
            self.patch(api_client, make_search(searcher), {"paused": True}, {}).status_code == 401
        )


@pytest.mark.django_db
class SavedSearchDeleteApiTest:
    def test_delete_is_204_recorded_and_takes_its_matches(
        self, api_client, searcher, searcher_auth, make_search, listing
    ):
        search = make_search(searcher)
        baker.make(AlertMatch, saved_search=search, listing=listing)
        response = api_client.delete(f"/api/v1/saved-searches/{search.id}", **searcher_auth)
        assert response.status_code == 204
        assert not SavedSearch.objects.exists() and not AlertMatch.objects.exists()
        [event] = search_events(search.id)
        assert event["type"] == events.SAVED_SEARCH_DELETED
        assert (event["saved_search_id"], event["user_id"], event["saved_search"]) == (
            search.id,
            searcher.id,
            None,
        )

    def test_another_users_search_is_403_and_kept(
        self, api_client, searcher, third_auth, make_search
    ):
        search = make_search(searcher)
        response = api_client.delete(f"/api/v1/saved-searches/{search.id}", **third_auth)
        assert response.status_code == 403
        assert SavedSearch.objects.filter(pk=search.pk).exists()
        assert search_events() == []

    def test_unknown_search_is_404(self, api_client, searcher_auth):
        assert (
            api_client.delete("/api/v1/saved-searches/999999", **searcher_auth).status_code == 404
        )

    def test_without_authenticator_is_401(self, api_client, searcher, make_search):
        search = make_search(searcher)
        assert api_client.delete(f"/api/v1/saved-searches/{search.id}").status_code == 401


@pytest.mark.django_db
class SavedSearchModelTest:
    def test_representation_matches_openapi_serializer(self, searcher, make_search):
        search = make_search(searcher, filters={"condition": "good"})
        assert set(saved_search_representation(search)) == set(SavedSearchOut().fields)

    def test_empty_search_refused_by_the_database(self, searcher):
        with pytest.raises(IntegrityError), transaction.atomic():
            SavedSearch.objects.create(user=searcher, query="", filters={})

    def test_same_words_ignoring_case_and_filters_unique_in_the_database(self, searcher):
        SavedSearch.objects.create(user=searcher, query="Bike", filters={"min_price": "1.00"})
        with pytest.raises(IntegrityError), transaction.atomic():
            SavedSearch.objects.create(user=searcher, query="bike", filters={"min_price": "1.00"})

    def test_unknown_frequency_refused_by_the_database(self, searcher):
        with pytest.raises(IntegrityError), transaction.atomic():
            SavedSearch.objects.create(user=searcher, query="x", frequency="weekly")
