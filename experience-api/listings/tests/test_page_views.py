"""POST /internal/page-views: anonymous views counted by HAProxy's edge cache."""

from __future__ import annotations

import json

import pytest
from django.conf import settings


@pytest.fixture
def published(monkeypatch):
    """Page-view events published, captured instead of queued for Kafka."""
    events = []
    monkeypatch.setattr(
        "listings.page_views.publish_page_view",
        lambda listing_id, user_id: events.append((listing_id, user_id)) or True,
    )
    return events


def post(client, body, token=None):
    headers = {"HTTP_X_SERVICE_TOKEN": settings.SERVICE_TOKEN if token is None else token}
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/internal/page-views", data=raw, content_type="application/json", **headers)


class EdgePageViewsTest:
    def test_each_counted_view_is_one_anonymous_page_view_event(self, client, published):
        response = post(client, {"views": {"5": 3, "9": 1}})
        assert response.status_code == 202
        assert response.json() == {"published": 4, "counted": 4}
        assert sorted(published) == [(5, None), (5, None), (5, None), (9, None)]

    @pytest.mark.parametrize("token", ["", "wrong-token"])
    def test_without_the_service_token_nothing_is_published(self, client, published, token):
        response = post(client, {"views": {"5": 3}}, token=token)
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert published == []

    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            {"views": []},
            {"views": {"abc": 1}},
            {"views": {"5": 0}},
            {"views": {"5": -1}},
            {"views": {"5": 1.5}},
            {"views": {"5": True}},
            {"views": {"5": 100_001}},
            {"views": {"0": 1}},
            {"other": {}},
        ],
    )
    def test_malformed_counts_are_refused_whole(self, client, published, body):
        response = post(client, body)
        assert response.status_code == 400
        assert response.json()["error"] == "validation_failed"
        assert published == []

    def test_only_post(self, client, published):
        response = client.get("/internal/page-views", HTTP_X_SERVICE_TOKEN=settings.SERVICE_TOKEN)
        assert response.status_code == 405
        assert published == []
