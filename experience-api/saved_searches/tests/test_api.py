"""The viewer's saved searches through the public API, models-api stubbed over HTTP."""

from __future__ import annotations

import pytest
import responses

from conftest import MODELS, TOKEN, calls_to
from mpcommon.account_rules import MESSAGE_TOO_MANY_SAVED_SEARCHES, SAVED_SEARCH_QUERY_MAX_LENGTH


def a_saved_search(**overrides) -> dict:
    saved = {
        "id": 41,
        "query": "brass lamp",
        "filters": {"category": "home", "max_price": "40.00"},
        "frequency": "instant",
        "paused": False,
        "created_at": "2026-12-01T10:00:00Z",
        "search_url": "/search/?q=brass+lamp&category=home&max_price=40.00",
    }
    saved.update(overrides)
    return saved


def forwarded_json(call, expected: dict) -> bool:
    return responses.matchers.json_params_matcher(expected)(call.request)[0]


def assert_not_cacheable(response) -> None:
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


class SavedSearchListTest:
    def test_list_answers_models_api_results_as_the_user(self, signed_in, models):
        searches = [a_saved_search(id=42, paused=True), a_saved_search()]
        models.add(responses.GET, f"{MODELS}/saved-searches", json={"results": searches})
        response = signed_in.get("/api/v1/saved-searches")
        assert response.status_code == 200
        assert response.json() == {"results": searches}
        (call,) = calls_to(models, "GET", "/saved-searches")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert_not_cacheable(response)

    def test_anonymous_is_401(self, api, models):
        assert api.get("/api/v1/saved-searches").status_code == 401
        assert len(models.calls) == 0


class SavedSearchCreateTest:
    URL = "/api/v1/saved-searches"

    def test_create_forwards_the_query_and_given_filters_and_is_201(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/saved-searches", json=a_saved_search(), status=201)
        response = signed_in.post(
            self.URL,
            {
                "query": "  brass lamp ",
                "category": "home",
                "min_price": 5,
                "max_price": "40",
                "condition": "",
                "frequency": "daily",
            },
            format="json",
        )
        assert response.status_code == 201
        assert response.json() == a_saved_search()
        (call,) = calls_to(models, "POST", "/saved-searches")
        assert call.request.headers["X-Authenticator"] == TOKEN
        # Prices as two-decimal strings, the empty filter left out.
        assert forwarded_json(
            call,
            {
                "query": "brass lamp",
                "category": "home",
                "min_price": "5.00",
                "max_price": "40.00",
                "frequency": "daily",
            },
        )
        assert_not_cacheable(response)

    def test_only_a_query_forwards_only_the_query(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/saved-searches", json=a_saved_search(), status=201)
        signed_in.post(self.URL, {"query": "lamp", "min_price": None}, format="json")
        (call,) = calls_to(models, "POST", "/saved-searches")
        assert forwarded_json(call, {"query": "lamp"})

    def test_neither_words_nor_filters_passes_models_api_400_through(self, signed_in, models):
        message = "Enter words to search for, or choose at least one filter."
        models.add(
            responses.POST,
            f"{MODELS}/saved-searches",
            status=400,
            json={"error": "validation_failed", "detail": "Invalid input.",
                  "fields": {"query": [message]}},
        )  # fmt: skip
        response = signed_in.post(self.URL, {"category": ""}, format="json")
        assert (response.status_code, response.json()["fields"]) == (400, {"query": [message]})
        (call,) = calls_to(models, "POST", "/saved-searches")
        assert forwarded_json(call, {"query": ""})

    def test_the_same_search_again_is_200_with_the_existing_one(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/saved-searches", json=a_saved_search(), status=200)
        response = signed_in.post(self.URL, {"query": "brass lamp"}, format="json")
        assert response.status_code == 200
        assert response.json()["id"] == 41

    def test_over_the_cap_passes_models_api_400_through(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/saved-searches",
            status=400,
            json={
                "error": "validation_failed",
                "detail": "Invalid input.",
                "fields": {"non_field_errors": [MESSAGE_TOO_MANY_SAVED_SEARCHES]},
            },
        )
        response = signed_in.post(self.URL, {"query": "lamp"}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"] == {"non_field_errors": [MESSAGE_TOO_MANY_SAVED_SEARCHES]}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"query": 5}, "query"),
            ({"query": "lamp", "sort": "newest"}, "sort"),  # not part of a saved search
            ({"query": "q" * (SAVED_SEARCH_QUERY_MAX_LENGTH + 1)}, "query"),
            ({"query": "lamp", "category": "Home & Garden"}, "category"),
            ({"query": "lamp", "min_price": "-1"}, "min_price"),
            ({"query": "lamp", "min_price": "50", "max_price": "10"}, "min_price"),
            ({"query": "lamp", "max_price": "1.234"}, "max_price"),
            ({"query": "lamp", "condition": "mint"}, "condition"),
            ({"query": "lamp", "frequency": "hourly"}, "frequency"),
        ],
    )
    def test_invalid_search_is_400_on_its_field_without_calling_models(
        self, signed_in, models, body, field
    ):
        response = signed_in.post(self.URL, body, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {field}
        assert calls_to(models, "POST", "/saved-searches") == []

    def test_models_api_down_is_503_and_the_create_is_sent_once(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/saved-searches", status=503)
        response = signed_in.post(self.URL, {"query": "lamp"}, format="json")
        assert response.status_code == 503
        assert len(calls_to(models, "POST", "/saved-searches")) == 1

    def test_anonymous_is_401(self, api, models):
        assert api.post(self.URL, {"query": "lamp"}, format="json").status_code == 401
        assert len(models.calls) == 0


class SavedSearchChangeTest:
    URL = "/api/v1/saved-searches/41"

    def test_patch_forwards_the_changes_as_the_user(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/saved-searches/41", json=a_saved_search(paused=True))
        response = signed_in.patch(self.URL, {"paused": True, "frequency": "daily"}, format="json")
        assert response.status_code == 200
        assert response.json()["paused"] is True
        (call,) = calls_to(models, "PATCH", "/saved-searches/41")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert forwarded_json(call, {"paused": True, "frequency": "daily"})
        assert_not_cacheable(response)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"paused": "yes"}, "paused"),
            ({"paused": 1}, "paused"),
            ({"frequency": "weekly"}, "frequency"),
            ({"query": "other"}, "query"),  # a saved search's words do not change
            ({}, "non_field_errors"),
        ],
    )
    def test_invalid_change_is_400_without_calling_models(self, signed_in, models, body, field):
        response = signed_in.patch(self.URL, body, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {field}
        assert calls_to(models, "PATCH", "/saved-searches/41") == []

    @pytest.mark.parametrize(("status", "error"), [(403, "permission_denied"), (404, "not_found")])
    def test_not_the_owner_or_unknown_passes_through(self, signed_in, models, status, error):
        models.add(
            responses.PATCH,
            f"{MODELS}/saved-searches/41",
            status=status,
            json={"error": error, "detail": "No."},
        )
        response = signed_in.patch(self.URL, {"paused": True}, format="json")
        assert (response.status_code, response.json()["error"]) == (status, error)

    def test_models_api_400_passes_through(self, signed_in, models):
        fields = {"frequency": ['"weekly" is not a valid choice.']}
        models.add(
            responses.PATCH,
            f"{MODELS}/saved-searches/41",
            status=400,
            json={"error": "validation_failed", "detail": "Invalid input.", "fields": fields},
        )
        response = signed_in.patch(self.URL, {"frequency": "daily"}, format="json")
        assert (response.status_code, response.json()["fields"]) == (400, fields)

    def test_patch_is_sent_once(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/saved-searches/41", status=503)
        assert signed_in.patch(self.URL, {"paused": True}, format="json").status_code == 503
        assert len(calls_to(models, "PATCH", "/saved-searches/41")) == 1

    def test_delete_is_204_as_the_user(self, signed_in, models):
        models.add(responses.DELETE, f"{MODELS}/saved-searches/41", status=204)
        response = signed_in.delete(self.URL)
        assert response.status_code == 204
        assert response.content == b""
        (call,) = calls_to(models, "DELETE", "/saved-searches/41")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert_not_cacheable(response)

    @pytest.mark.parametrize(("status", "error"), [(403, "permission_denied"), (404, "not_found")])
    def test_delete_not_the_owner_or_unknown_passes_through(self, signed_in, models, status, error):
        models.add(
            responses.DELETE,
            f"{MODELS}/saved-searches/41",
            status=status,
            json={"error": error, "detail": "No."},
        )
        response = signed_in.delete(self.URL)
        assert (response.status_code, response.json()["error"]) == (status, error)

    def test_anonymous_is_401(self, api, models):
        assert api.patch(self.URL, {"paused": True}, format="json").status_code == 401
        assert api.delete(self.URL).status_code == 401
        assert len(models.calls) == 0
