"""Listing photos through the internal API: upload at create and edit, reorder, remove,
media, thumbnails; refusals change nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from PIL import Image

from catalogue.models import Listing
from conftest import auth
from mpcommon import events, photo_rules
from outbox.models import OutboxEvent
from photos.models import Blob, Photo
from testsupport.images import jpeg_with_gps, pixel_flood_png, png

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def webp(size: tuple[int, int], colour="grey") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "WEBP")
    return out.getvalue()


def create_body(**overrides) -> dict:
    body = {
        "title": "Road bike, 54 cm",
        "description": "Serviced last month.",
        "price": "350.00",
        "category": "bikes",
    }
    body.update(overrides)
    return body


def media_key(url: str) -> str:
    assert url.startswith(photo_rules.MEDIA_PATH_PREFIX)
    return url.removeprefix(photo_rules.MEDIA_PATH_PREFIX)


def photo_events(listing_id: int) -> list[dict]:
    rows = OutboxEvent.objects.filter(event_type=events.PHOTO_UPLOADED, key=str(listing_id))
    return [row.payload for row in rows.order_by("id")]


@pytest.fixture
def listing_with_photos(api_client, authenticator):
    """A listing created with three photos (red, green, blue PNGs)."""
    files = [upload(png(rgb=rgb), f"{i}.png", "image/png") for i, rgb in enumerate(
        [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    )]  # fmt: skip
    response = api_client.post(
        "/api/v1/listings", {**create_body(), "photos": files}, format="multipart",
        **auth(authenticator),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


class CreateWithPhotosTest:
    def test_photos_are_stored_in_order_and_re_encoded(self, api_client, authenticator):
        files = [upload(jpeg_with_gps()), upload(png(), "b.png", "image/png")]
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": files},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 201, response.content
        photos = response.json()["photos"]
        assert [p["position"] for p in photos] == [0, 1]
        assert photos[0]["url"].endswith(".jpg") and photos[1]["url"].endswith(".png")
        assert (photos[0]["width"], photos[0]["height"]) == (640, 480)
        assert photos[0]["card_url"] is None and photos[0]["detail_url"] is None
        stored = bytes(Blob.objects.get(key=media_key(photos[0]["url"])).data)
        assert stored != jpeg_with_gps()
        assert b"TestCameraMaker" not in stored
        assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}

    def test_each_photo_records_an_upload_event_and_the_document_has_them(
        self, listing_with_photos
    ):
        listing_id = listing_with_photos["id"]
        uploaded = photo_events(listing_id)
        assert [e["photo_id"] for e in uploaded] == [p["id"] for p in listing_with_photos["photos"]]
        assert uploaded[0]["original"] == media_key(listing_with_photos["photos"][0]["url"])
        created = OutboxEvent.objects.get(event_type=events.LISTING_CREATED)
        assert created.payload["listing"]["photos"] == listing_with_photos["photos"]
        events.validate_event(events.TOPIC_LISTINGS, created.payload)

    def test_json_create_still_works_without_photos(self, api_client, authenticator):
        response = api_client.post(
            "/api/v1/listings", create_body(), format="json", **auth(authenticator)
        )
        assert response.status_code == 201
        assert response.json()["photos"] == []

    def test_photos_in_a_json_body_are_refused(self, api_client, authenticator):
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": ["aGVsbG8="]},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert "photos" in response.json()["fields"]
        assert not Listing.objects.exists()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"this is not an image at all", "Not a JPEG, PNG or WebP"),
            (b"GIF89a" + b"\x00" * 64, "Not a JPEG, PNG or WebP"),
            (pixel_flood_png(), "too many pixels"),
            (png(8, 8), "at least 16 pixels"),
        ],
        ids=["text-named-jpg", "gif", "pixel-flood", "tiny"],
    )
    def test_a_bad_file_refuses_the_whole_create(self, api_client, authenticator, data, message):
        files = [upload(png(), "good.png"), upload(data, "holiday.jpg")]
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": files},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 400
        problems = response.json()["fields"]["photos"]
        assert len(problems) == 1 and problems[0].startswith("holiday.jpg: ")
        assert message in problems[0]
        assert not Listing.objects.exists() and not Blob.objects.exists()
        assert not OutboxEvent.objects.exists()

    def test_a_file_over_10_mb_is_refused(self, api_client, authenticator):
        big = upload(b"\xff\xd8\xff" + b"\x00" * photo_rules.MAX_PHOTO_BYTES)
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": [big]},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert photo_rules.MESSAGE_TOO_LARGE in response.json()["fields"]["photos"][0]
        assert not Listing.objects.exists()

    def test_more_than_eight_photos_are_refused(self, api_client, authenticator):
        files = [upload(png(), f"{i}.png") for i in range(photo_rules.MAX_PHOTOS_PER_LISTING + 1)]
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": files},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert response.json()["fields"]["photos"] == [photo_rules.MESSAGE_TOO_MANY]
        assert not Listing.objects.exists()

    def test_invalid_fields_with_photos_store_nothing(self, api_client, authenticator):
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(price="-1"), "photos": [upload(png())]},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert "price" in response.json()["fields"]
        assert not Blob.objects.exists()

    def test_a_declared_body_over_the_upload_limit_is_413(self, api_client, authenticator):
        response = api_client.generic(
            "POST",
            "/api/v1/listings",
            b"",
            content_type="multipart/form-data; boundary=x",
            HTTP_X_AUTHENTICATOR=authenticator.token,
            CONTENT_LENGTH=str(photo_rules.MAX_UPLOAD_BODY_BYTES + 1),
        )
        assert response.status_code == 413

    def test_the_same_bytes_twice_are_stored_once(self, api_client, authenticator):
        files = [upload(png(), "a.png"), upload(png(), "b.png")]
        response = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": files},
            format="multipart",
            **auth(authenticator),
        )
        photos = response.json()["photos"]
        assert photos[0]["url"] == photos[1]["url"] and photos[0]["id"] != photos[1]["id"]
        assert Blob.objects.count() == 1


class EditPhotosTest:
    def path(self, listing) -> str:
        return f"/api/v1/listings/{listing['id']}"

    def test_reorder_and_remove_with_photo_order(
        self, api_client, authenticator, listing_with_photos
    ):
        red, green, blue = (p["id"] for p in listing_with_photos["photos"])
        response = api_client.patch(
            self.path(listing_with_photos),
            {"photo_order": [blue, red]},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert [(p["id"], p["position"]) for p in body["photos"]] == [(blue, 0), (red, 1)]
        assert body["version"] == listing_with_photos["version"] + 1
        assert not Photo.objects.filter(pk=green).exists()
        # green's bytes are used by nothing else: gone too
        assert Blob.objects.count() == 2

    def test_multipart_patch_keeps_order_and_appends_new_photos(
        self, api_client, authenticator, listing_with_photos
    ):
        red, green, _ = (p["id"] for p in listing_with_photos["photos"])
        response = api_client.patch(
            self.path(listing_with_photos),
            {"title": "Renamed", "photo_order": [green, red], "photos": [upload(jpeg_with_gps())]},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["title"] == "Renamed"
        assert [p["id"] for p in body["photos"]][:2] == [green, red]
        assert body["photos"][2]["url"].endswith(".jpg")
        assert len(photo_events(body["id"])) == 4

    def test_photos_only_patch_is_a_change(self, api_client, authenticator, listing_with_photos):
        response = api_client.patch(
            self.path(listing_with_photos),
            {"photos": [upload(png(32, 32))]},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 200
        assert len(response.json()["photos"]) == 4

    def test_empty_patch_is_still_refused(self, api_client, authenticator, listing_with_photos):
        response = api_client.patch(
            self.path(listing_with_photos), {}, format="json", **auth(authenticator)
        )
        assert response.status_code == 400

    def test_empty_photo_order_removes_every_photo(
        self, api_client, authenticator, listing_with_photos
    ):
        response = api_client.patch(
            self.path(listing_with_photos), {"photo_order": []}, format="json",
            **auth(authenticator),
        )  # fmt: skip
        assert response.status_code == 200
        assert response.json()["photos"] == []
        assert not Blob.objects.exists()

    @pytest.mark.parametrize("order", [[999999], "dup"], ids=["foreign-id", "repeated-id"])
    def test_bad_photo_order_changes_nothing(
        self, api_client, authenticator, listing_with_photos, order
    ):
        ids = [p["id"] for p in listing_with_photos["photos"]]
        if order == "dup":
            order = [ids[0], ids[0]]
        response = api_client.patch(
            self.path(listing_with_photos),
            {"title": "Changed", "photo_order": order},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert "photo_order" in response.json()["fields"]
        listing = Listing.objects.get(pk=listing_with_photos["id"])
        assert listing.title == "Road bike, 54 cm" and listing.version == 1
        assert list(listing.photos.values_list("id", flat=True)) == ids

    def test_another_listings_photo_id_is_refused(
        self, api_client, authenticator, listing_with_photos
    ):
        other = api_client.post(
            "/api/v1/listings",
            {**create_body(), "photos": [upload(png())]},
            format="multipart",
            **auth(authenticator),
        ).json()
        response = api_client.patch(
            self.path(listing_with_photos),
            {"photo_order": [other["photos"][0]["id"]]},
            format="json",
            **auth(authenticator),
        )
        assert response.status_code == 400

    def test_going_over_eight_in_all_is_refused(
        self, api_client, authenticator, listing_with_photos
    ):
        files = [upload(png(), f"{i}.png") for i in range(6)]  # 3 + 6 > 8
        response = api_client.patch(
            self.path(listing_with_photos),
            {"photos": files},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert response.json()["fields"]["photos"] == [photo_rules.MESSAGE_TOO_MANY]
        assert Photo.objects.count() == 3

    def test_a_stranger_gets_403_and_nothing_changes(
        self, api_client, other_authenticator, listing_with_photos
    ):
        response = api_client.patch(
            self.path(listing_with_photos),
            {"photo_order": []},
            format="json",
            **auth(other_authenticator),
        )
        assert response.status_code == 403
        assert Photo.objects.count() == 3

    def test_database_refuses_a_ninth_position_and_a_duplicate(self, listing_with_photos):
        photo = Photo.objects.get(position=0)
        with pytest.raises(IntegrityError), transaction.atomic():
            Photo.objects.filter(pk=photo.pk).update(position=photo_rules.MAX_PHOTOS_PER_LISTING)
        # (listing, position) is unique when the transaction commits; checking the
        # deferred constraints now is what a commit would do.
        with pytest.raises(IntegrityError), transaction.atomic():
            Photo.objects.filter(pk=photo.pk).update(position=1)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class AddAndRemoveTest:
    def test_add_photos_appends(self, api_client, authenticator, listing_with_photos):
        response = api_client.post(
            f"/api/v1/listings/{listing_with_photos['id']}/photos",
            {"photos": [upload(png(20, 20), "x.png")]},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 201
        assert [p["position"] for p in response.json()["photos"]] == [0, 1, 2, 3]

    def test_add_without_files_is_400(self, api_client, authenticator, listing_with_photos):
        response = api_client.post(
            f"/api/v1/listings/{listing_with_photos['id']}/photos",
            {},
            format="multipart",
            **auth(authenticator),
        )
        assert response.status_code == 400
        assert "photos" in response.json()["fields"]

    def test_remove_one_closes_up(self, api_client, authenticator, listing_with_photos):
        red, green, blue = (p["id"] for p in listing_with_photos["photos"])
        response = api_client.delete(
            f"/api/v1/listings/{listing_with_photos['id']}/photos/{red}", **auth(authenticator)
        )
        assert response.status_code == 200
        assert [(p["id"], p["position"]) for p in response.json()["photos"]] == [
            (green, 0),
            (blue, 1),
        ]

    def test_remove_unknown_photo_is_404(self, api_client, authenticator, listing_with_photos):
        response = api_client.delete(
            f"/api/v1/listings/{listing_with_photos['id']}/photos/999999", **auth(authenticator)
        )
        assert response.status_code == 404
        assert Photo.objects.count() == 3

    def test_remove_by_a_stranger_is_403(
        self, api_client, other_authenticator, listing_with_photos
    ):
        photo_id = listing_with_photos["photos"][0]["id"]
        response = api_client.delete(
            f"/api/v1/listings/{listing_with_photos['id']}/photos/{photo_id}",
            **auth(other_authenticator),
        )
        assert response.status_code == 403
        assert Photo.objects.count() == 3

    def test_deleting_the_listing_deletes_its_photos_and_media(
        self, api_client, authenticator, listing_with_photos
    ):
        response = api_client.delete(
            f"/api/v1/listings/{listing_with_photos['id']}", **auth(authenticator)
        )
        assert response.status_code == 204
        assert not Photo.objects.exists() and not Blob.objects.exists()


class MediaTest:
    def test_media_returns_the_bytes_and_type(self, api_client, listing_with_photos):
        key = media_key(listing_with_photos["photos"][0]["url"])
        response = api_client.get(f"/api/v1/media/{key}")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content == bytes(Blob.objects.get(key=key).data)

    @pytest.mark.parametrize("key", ["0" * 64 + ".png", "not-a-key", "A" * 64 + ".jpg"])
    def test_unknown_or_malformed_key_is_404(self, api_client, key):
        assert api_client.get(f"/api/v1/media/{key}").status_code == 404

    def test_media_needs_the_service_token(self, anonymous_client, listing_with_photos):
        key = media_key(listing_with_photos["photos"][0]["url"])
        assert anonymous_client.get(f"/api/v1/media/{key}").status_code == 401


class ThumbnailsTest:
    def put(self, client, photo_id, card, detail):
        return client.put(
            f"/api/v1/photos/{photo_id}/thumbnails",
            {"card": upload(card, "card.webp"), "detail": upload(detail, "detail.webp")},
            format="multipart",
        )

    def test_thumbnails_are_stored_and_bump_the_listing_once(self, api_client, listing_with_photos):
        photo_id = listing_with_photos["photos"][0]["id"]
        card, detail = webp((480, 320)), webp((1200, 800), "white")
        response = self.put(api_client, photo_id, card, detail)
        assert response.status_code == 200, response.content
        photo = response.json()
        assert photo["card_url"].endswith(".webp") and photo["detail_url"].endswith(".webp")
        listing = Listing.objects.get(pk=listing_with_photos["id"])
        assert listing.version == 2
        updated = OutboxEvent.objects.filter(event_type=events.LISTING_UPDATED)
        assert updated.count() == 1
        assert updated.get().payload["listing"]["photos"][0]["card_url"] == photo["card_url"]

        again = self.put(api_client, photo_id, card, detail)  # a redelivered event

        assert again.json() == photo
        assert Listing.objects.get(pk=listing.pk).version == 2
        assert OutboxEvent.objects.filter(event_type=events.LISTING_UPDATED).count() == 1

    def test_not_a_webp_or_too_large_is_400(self, api_client, listing_with_photos):
        photo_id = listing_with_photos["photos"][0]["id"]
        response = self.put(api_client, photo_id, png(100, 100), webp((1300, 100)))
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"card", "detail"}
        assert Photo.objects.get(pk=photo_id).card_id is None

    def test_card_larger_than_its_box_is_400(self, api_client, listing_with_photos):
        photo_id = listing_with_photos["photos"][0]["id"]
        response = self.put(api_client, photo_id, webp((1000, 100)), webp((1000, 100)))
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["card"]

    def test_missing_file_is_400(self, api_client, listing_with_photos):
        photo_id = listing_with_photos["photos"][0]["id"]
        response = api_client.put(
            f"/api/v1/photos/{photo_id}/thumbnails",
            {"card": upload(webp((100, 100)), "card.webp")},
            format="multipart",
        )
        assert response.status_code == 400
        assert "detail" in response.json()["fields"]

    def test_gone_photo_is_404(self, api_client):
        assert self.put(api_client, 999999, webp((10, 20)), webp((10, 20))).status_code == 404
