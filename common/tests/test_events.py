import pytest

from mpcommon import events


def _listing(**overrides):
    listing = {
        "id": 7,
        "title": "Bike",
        "description": "Red",
        "price": "120.00",
        "category": {"slug": "sports", "name": "Sports"},
        "condition": "good",
        "status": "active",
        "seller": {"id": 3, "username": "ann", "display_name": "Ann"},
        "view_count": 0,
        "created_at": "2026-11-21T07:00:00Z",
        "updated_at": "2026-11-21T07:00:00Z",
        "version": 1,
    }
    listing.update(overrides)
    return listing


class ListingEventTest:
    def test_created_event_round_trips(self):
        event = events.listing_event(events.LISTING_CREATED, 7, 1, _listing())
        decoded = events.decode(events.TOPIC_LISTINGS, events.encode(event))
        assert decoded == event
        assert decoded["v"] == 1

    def test_deleted_event_has_no_document(self):
        event = events.listing_event(events.LISTING_DELETED, 7, 2, None)
        assert events.decode(events.TOPIC_LISTINGS, events.encode(event))["listing"] is None

    def test_updated_event_without_document_is_invalid(self):
        event = events.listing_event(events.LISTING_UPDATED, 7, 2, None)
        with pytest.raises(events.InvalidEvent):
            events.decode(events.TOPIC_LISTINGS, events.encode(event))

    def test_garbage_is_invalid(self):
        with pytest.raises(events.InvalidEvent):
            events.decode(events.TOPIC_LISTINGS, b"\xff not json")

    def test_bad_price_is_invalid(self):
        event = events.listing_event(events.LISTING_CREATED, 7, 1, _listing(price="-1"))
        with pytest.raises(events.InvalidEvent):
            events.decode(events.TOPIC_LISTINGS, events.encode(event))

    def test_unknown_type_is_refused_when_building(self):
        with pytest.raises(ValueError):
            events.listing_event("listing.exploded", 7, 1, None)


class PageViewEventTest:
    def test_anonymous_view_is_valid(self):
        event = events.page_view_event(listing_id=5, user_id=None)
        assert events.decode(events.TOPIC_PAGE_VIEWS, events.encode(event))["user_id"] is None

    def test_missing_listing_is_invalid(self):
        event = events.page_view_event(listing_id=5, user_id=1)
        del event["listing_id"]
        with pytest.raises(events.InvalidEvent):
            events.validate_event(events.TOPIC_PAGE_VIEWS, event)

    def test_dead_letter_topic_name(self):
        assert events.dead_letter_topic("page-views") == "page-views.dlq"


class EventDocsTest:
    def test_docs_events_md_is_generated_from_the_code(self):
        import subprocess
        import sys
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        rendered = subprocess.run(
            [sys.executable, str(root / "common" / "render_event_docs.py")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert (root / "docs" / "events.md").read_text() == rendered, (
            "docs/events.md is stale: run common/render_event_docs.py > docs/events.md"
        )
