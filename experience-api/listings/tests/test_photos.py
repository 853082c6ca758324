"""Photo uploads through the public API: multipart create and PATCH, adding and deleting
photos (docs/selling-and-buying.md), with models-api stubbed over HTTP.

What is checked here before anything is forwarded: the count and the size of each file
(photo_rules), the body limit of uploads. What models-api decides (is it an image, how
many in all, whose photo) comes back as its own 400/403/404.
"""

from __future__ import annotations

import json

import pytest
import requests
import responses
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from conftest import MODELS, TOKEN, Part, a_listing, a_photo, calls_to, multipart_parts
from mpcommon import photo_rules
from testsupport.images import png

FIELDS = {
    "title": "Brass lamp",
    "description": "Old but shiny",
    "price": "19.9",
    "category": "home",
}


def a_file(name="lamp.png", content=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png() if content is None else content, content_type)


def files(count: int) -> list[SimpleUploadedFile]:
    return [a_file(f"p{i}.png", png(rgb=(i, i, i))) for i in range(count)]


def photos_error(response) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == "validation_failed"
    return body["fields"]["photos"]


def models_api_400(fields: dict) -> dict:
    return {"error": "validation_failed", "detail": "Invalid input.", "fields": fields}


@pytest.fixture
def listing_with_photos():
    return a_listing(id=5, photos=[a_photo(id=3, position=0), a_photo(id=1, position=1)])


class CreateWithPhotosTest:
    URL = "/api/v1/listings"

    def test_multipart_create_forwards_fields_and_files_in_order_once(self, signed_in, models):
        created = a_listing(id=77, photos=[a_photo(position=0), a_photo(position=1)])
        models.add(responses.POST, MODELS + "/listings", status=201, json=created)
        first, second = png(rgb=(10, 20, 30)), png(32, 32, rgb=(0, 0, 255))
        response = signed_in.post(
            self.URL,
            {
                **FIELDS,
                "condition": "good",
                "photos": [a_file("front.png", first), a_file("back.jpg", second, "image/jpeg")],
            },
            format="multipart",
        )
        assert response.status_code == 201
        assert response.json() == created
        (call,) = calls_to(models, "POST", "/listings")
        assert call.request.headers["X-Authenticator"] == TOKEN
        parts = multipart_parts(call.request)
        fields = {p.name: p.content.decode() for p in parts if p.filename is None}
        assert fields == {**FIELDS, "price": "19.90", "condition": "good"}
        assert [p for p in parts if p.name == "photos"] == [
            Part("photos", "front.png", "image/png", first),
            Part("photos", "back.jpg", "image/jpeg", second),
        ]

    def test_multipart_create_without_photos_is_forwarded_as_json(self, signed_in, models):
        models.add(responses.POST, MODELS + "/listings", status=201, json=a_listing(id=78))
        response = signed_in.post(self.URL, FIELDS, format="multipart")
        assert response.status_code == 201
        (call,) = calls_to(models, "POST", "/listings")
        assert json.loads(call.request.body) == {**FIELDS, "price": "19.90"}

    def test_the_most_photos_each_at_the_size_limit_are_forwarded(self, signed_in, models):
        # 8 x 10 MB: far above the JSON body limit, within the upload limit.
        models.add(responses.POST, MODELS + "/listings", status=201, json=a_listing(id=79))
        big = [
            a_file(f"p{i}.jpg", bytes([i]) * photo_rules.MAX_PHOTO_BYTES, "image/jpeg")
            for i in range(photo_rules.MAX_PHOTOS_PER_LISTING)
        ]
        response = signed_in.post(self.URL, {**FIELDS, "photos": big}, format="multipart")
        assert response.status_code == 201
        parts = multipart_parts(calls_to(models, "POST", "/listings")[0].request)
        sent = [p.content for p in parts if p.name == "photos"]
        assert sent == [bytes([i]) * photo_rules.MAX_PHOTO_BYTES for i in range(len(big))]

    def test_too_many_photos_is_400_and_nothing_sent(self, signed_in, models):
        count = photo_rules.MAX_PHOTOS_PER_LISTING + 1
        response = signed_in.post(self.URL, {**FIELDS, "photos": files(count)}, format="multipart")
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_MANY]
        assert calls_to(models, "POST", "/listings") == []

    def test_oversized_photo_is_400_and_nothing_sent(self, signed_in, models):
        too_big = a_file("huge.jpg", b"\xff" * (photo_rules.MAX_PHOTO_BYTES + 1), "image/jpeg")
        response = signed_in.post(
            self.URL, {**FIELDS, "photos": [a_file(), too_big]}, format="multipart"
        )
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_LARGE]
        assert calls_to(models, "POST", "/listings") == []

    def test_empty_file_is_400_and_nothing_sent(self, signed_in, models):
        response = signed_in.post(
            self.URL, {**FIELDS, "photos": [a_file("empty.png", b"")]}, format="multipart"
        )
        assert photos_error(response) == [photo_rules.MESSAGE_NOT_AN_IMAGE]
        assert calls_to(models, "POST", "/listings") == []

    def test_photos_as_text_fields_are_400(self, signed_in, models):
        response = signed_in.post(self.URL, {**FIELDS, "photos": "lamp.png"}, format="multipart")
        assert "multipart/form-data" in photos_error(response)[0]
        assert calls_to(models, "POST", "/listings") == []

    def test_photos_in_a_json_body_are_400(self, signed_in, models):
        response = signed_in.post(self.URL, {**FIELDS, "photos": ["aGVsbG8="]}, format="json")
        assert "multipart/form-data" in photos_error(response)[0]
        assert calls_to(models, "POST", "/listings") == []

    def test_invalid_field_in_a_multipart_create_is_400_for_that_field(self, signed_in, models):
        response = signed_in.post(
            self.URL, {**FIELDS, "price": "lots", "photos": [a_file()]}, format="multipart"
        )
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"price"}
        assert calls_to(models, "POST", "/listings") == []

    def test_models_api_400_on_photos_passes_through(self, signed_in, models):
        models.add(
            responses.POST,
            MODELS + "/listings",
            status=400,
            json=models_api_400({"photos": [photo_rules.MESSAGE_NOT_AN_IMAGE]}),
        )
        response = signed_in.post(
            self.URL,
            {**FIELDS, "photos": [a_file("fake.png", b"GIF89a not really", "image/png")]},
            format="multipart",
        )
        assert photos_error(response) == [photo_rules.MESSAGE_NOT_AN_IMAGE]

    def test_anonymous_multipart_create_is_401_and_nothing_sent(self, api, models):
        response = api.post(self.URL, {**FIELDS, "photos": [a_file()]}, format="multipart")
        assert response.status_code == 401
        assert len(models.calls) == 0

    def test_upload_timeout_is_503_and_not_retried(self, signed_in, models):
        models.add(responses.POST, MODELS + "/listings", body=requests.ReadTimeout())
        response = signed_in.post(self.URL, {**FIELDS, "photos": [a_file()]}, format="multipart")
        assert response.status_code == 503
        assert response.json()["error"] == "models_api_unavailable"
        assert len(calls_to(models, "POST", "/listings")) == 1


class UploadBodyLimitTest:
    """Uploads may be up to photo_rules.MAX_UPLOAD_BODY_BYTES; everything else keeps the
    JSON limit (MAX_REQUEST_BODY_BYTES)."""

    def test_multipart_declared_over_the_upload_limit_is_413_unread(self, signed_in, models):
        response = signed_in.generic(
            "POST",
            "/api/v1/listings",
            b"--b--\r\n",
            content_type="multipart/form-data; boundary=b",
            CONTENT_LENGTH=str(photo_rules.MAX_UPLOAD_BODY_BYTES + 1),
        )
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert calls_to(models, "POST", "/listings") == []

    @override_settings(MAX_UPLOAD_BODY_BYTES=50_000)
    def test_multipart_over_the_upload_limit_is_413(self, signed_in, models):
        photo = a_file("big.jpg", b"\xff" * 60_000, "image/jpeg")
        response = signed_in.post(
            "/api/v1/listings/5/photos", {"photos": [photo]}, format="multipart"
        )
        assert response.status_code == 413
        assert len(calls_to(models, "POST", "/listings/5/photos")) == 0

    def test_json_create_keeps_the_json_limit(self, signed_in, models):
        body = {**FIELDS, "description": "x" * (300 * 1024)}
        response = signed_in.post("/api/v1/listings", body, format="json")
        assert response.status_code == 413
        assert calls_to(models, "POST", "/listings") == []

    def test_text_fields_of_a_multipart_body_keep_the_json_limit(self, signed_in, models):
        body = {**FIELDS, "description": "x" * (300 * 1024), "photos": [a_file()]}
        response = signed_in.post("/api/v1/listings", body, format="multipart")
        assert response.status_code == 413
        assert calls_to(models, "POST", "/listings") == []

    def test_endpoints_without_photos_refuse_multipart_with_415(self, signed_in, models):
        response = signed_in.post("/api/v1/orders", {"listing": "5"}, format="multipart")
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"


class PatchWithPhotosTest:
    URL = "/api/v1/listings/5"

    def test_json_photo_order_is_forwarded_as_a_json_list(
        self, signed_in, models, listing_with_photos
    ):
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=listing_with_photos)
        response = signed_in.patch(self.URL, {"photo_order": [3, 1]}, format="json")
        assert response.status_code == 200
        assert response.json()["photos"] == listing_with_photos["photos"]
        (call,) = calls_to(models, "PATCH", "/listings/5")
        assert json.loads(call.request.body) == {"photo_order": [3, 1]}

    def test_json_empty_photo_order_removes_every_photo(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=a_listing(id=5))
        response = signed_in.patch(self.URL, {"photo_order": []}, format="json")
        assert response.status_code == 200
        (call,) = calls_to(models, "PATCH", "/listings/5")
        assert json.loads(call.request.body) == {"photo_order": []}

    def test_multipart_patch_forwards_fields_repeated_photo_order_and_new_photos(
        self, signed_in, models, listing_with_photos
    ):
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=listing_with_photos)
        new = png(rgb=(9, 9, 9))
        response = signed_in.patch(
            self.URL,
            {"price": "7", "photo_order": ["3", "1"], "photos": [a_file("new.png", new)]},
            format="multipart",
        )
        assert response.status_code == 200
        (call,) = calls_to(models, "PATCH", "/listings/5")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert multipart_parts(call.request) == [
            Part("price", None, None, b"7.00"),
            Part("photo_order", None, None, b"3"),
            Part("photo_order", None, None, b"1"),
            Part("photos", "new.png", "image/png", new),
        ]

    def test_multipart_patch_of_photos_only_keeps_every_existing_photo(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=a_listing(id=5))
        response = signed_in.patch(self.URL, {"photos": [a_file()]}, format="multipart")
        assert response.status_code == 200
        parts = multipart_parts(calls_to(models, "PATCH", "/listings/5")[0].request)
        assert [p.name for p in parts] == ["photos"]  # no photo_order: keep all

    def test_patch_drops_the_cached_listing_page(self, signed_in, models, listing_with_photos):
        models.add(responses.GET, f"{MODELS}/listings/5", json=a_listing(id=5))
        models.add(
            responses.GET,
            f"{MODELS}/listings/5/recommendations",
            json={"listing_id": 5, "recommended": []},
        )
        models.add(responses.PATCH, f"{MODELS}/listings/5", json=listing_with_photos)
        signed_in.get(self.URL)
        signed_in.patch(self.URL, {"photos": [a_file()]}, format="multipart")
        signed_in.get(self.URL)
        assert len(calls_to(models, "GET", "/listings/5")) == 2

    @pytest.mark.parametrize(
        ("photo_order", "message"),
        [
            (["first"], "Must be an integer."),
            ([0], "Ensure this value is greater than or equal to 1."),
            ([3, 3], "Each photo may appear only once."),
            ("3,1", 'Expected a list of items but got type "str".'),
        ],
    )
    def test_bad_photo_order_is_400_and_nothing_sent(self, signed_in, models, photo_order, message):
        response = signed_in.patch(self.URL, {"photo_order": photo_order}, format="json")
        assert response.status_code == 400
        assert response.json()["fields"]["photo_order"] == [message]
        assert calls_to(models, "PATCH", "/listings/5") == []

    def test_kept_and_new_photos_over_the_limit_are_400_and_nothing_sent(self, signed_in, models):
        kept = [str(i) for i in range(1, photo_rules.MAX_PHOTOS_PER_LISTING)]  # 7 kept
        response = signed_in.patch(
            self.URL, {"photo_order": kept, "photos": files(2)}, format="multipart"
        )
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_MANY]
        assert calls_to(models, "PATCH", "/listings/5") == []

    def test_too_many_new_photos_are_400_and_nothing_sent(self, signed_in, models):
        count = photo_rules.MAX_PHOTOS_PER_LISTING + 1
        response = signed_in.patch(self.URL, {"photos": files(count)}, format="multipart")
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_MANY]
        assert calls_to(models, "PATCH", "/listings/5") == []

    def test_unknown_multipart_field_is_400(self, signed_in, models):
        response = signed_in.patch(
            self.URL, {"colour": "red", "photos": [a_file()]}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {"colour": ["Unknown field."]}

    @pytest.mark.parametrize(
        "fields",
        [
            {"photo_order": ["Not a photo of this listing."]},
            {"photos": [photo_rules.MESSAGE_TOO_MANY]},
        ],
    )
    def test_models_api_400_passes_through(self, signed_in, models, fields):
        models.add(responses.PATCH, f"{MODELS}/listings/5", status=400, json=models_api_400(fields))
        response = signed_in.patch(
            self.URL, {"photo_order": ["99"], "photos": [a_file()]}, format="multipart"
        )
        assert response.status_code == 400
        assert response.json()["fields"] == fields

    def test_multipart_patch_is_sent_once(self, signed_in, models):
        models.add(responses.PATCH, f"{MODELS}/listings/5", status=503)
        response = signed_in.patch(self.URL, {"photos": [a_file()]}, format="multipart")
        assert response.status_code == 503
        assert len(calls_to(models, "PATCH", "/listings/5")) == 1

    def test_anonymous_multipart_patch_is_401(self, api, models):
        response = api.patch(self.URL, {"photos": [a_file()]}, format="multipart")
        assert response.status_code == 401
        assert len(models.calls) == 0


class AddPhotosTest:
    URL = "/api/v1/listings/5/photos"

    def test_add_forwards_the_files_and_answers_201_with_the_listing(
        self, signed_in, models, listing_with_photos
    ):
        models.add(
            responses.POST, f"{MODELS}/listings/5/photos", status=201, json=listing_with_photos
        )
        first, second = png(rgb=(1, 1, 1)), png(rgb=(2, 2, 2))
        response = signed_in.post(
            self.URL, {"photos": [a_file("a.png", first), a_file("b.png", second)]}, "multipart"
        )
        assert response.status_code == 201
        assert response.json() == listing_with_photos
        (call,) = calls_to(models, "POST", "/listings/5/photos")
        assert call.request.headers["X-Authenticator"] == TOKEN
        assert multipart_parts(call.request) == [
            Part("photos", "a.png", "image/png", first),
            Part("photos", "b.png", "image/png", second),
        ]

    def test_add_drops_the_cached_listing_page(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/listings/5", json=a_listing(id=5))
        models.add(
            responses.GET,
            f"{MODELS}/listings/5/recommendations",
            json={"listing_id": 5, "recommended": []},
        )
        models.add(responses.POST, f"{MODELS}/listings/5/photos", status=201, json=a_listing(id=5))
        signed_in.get("/api/v1/listings/5")
        signed_in.post(self.URL, {"photos": [a_file()]}, format="multipart")
        signed_in.get("/api/v1/listings/5")
        assert len(calls_to(models, "GET", "/listings/5")) == 2

    def test_add_without_files_is_400(self, signed_in, models):
        response = signed_in.post(self.URL, {"note": "x"}, format="multipart")
        assert photos_error(response) == ["This field is required."]
        assert calls_to(models, "POST", "/listings/5/photos") == []

    def test_add_too_many_is_400_and_nothing_sent(self, signed_in, models):
        count = photo_rules.MAX_PHOTOS_PER_LISTING + 1
        response = signed_in.post(self.URL, {"photos": files(count)}, format="multipart")
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_MANY]
        assert calls_to(models, "POST", "/listings/5/photos") == []

    def test_add_oversized_is_400_and_nothing_sent(self, signed_in, models):
        too_big = a_file("huge.png", b"\x00" * (photo_rules.MAX_PHOTO_BYTES + 1))
        response = signed_in.post(self.URL, {"photos": [too_big]}, format="multipart")
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_LARGE]
        assert calls_to(models, "POST", "/listings/5/photos") == []

    def test_add_as_json_is_415(self, signed_in, models):
        response = signed_in.post(self.URL, {"photos": []}, format="json")
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported_media_type"

    def test_add_over_the_limit_in_all_passes_models_api_400_through(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/listings/5/photos",
            status=400,
            json=models_api_400({"photos": [photo_rules.MESSAGE_TOO_MANY]}),
        )
        response = signed_in.post(self.URL, {"photos": files(2)}, format="multipart")
        assert photos_error(response) == [photo_rules.MESSAGE_TOO_MANY]

    def test_add_to_someone_elses_listing_is_403(self, signed_in, models):
        models.add(
            responses.POST,
            f"{MODELS}/listings/5/photos",
            status=403,
            json={"error": "permission_denied", "detail": "Not yours."},
        )
        response = signed_in.post(self.URL, {"photos": [a_file()]}, format="multipart")
        assert (response.status_code, response.json()["error"]) == (403, "permission_denied")

    def test_add_is_sent_once(self, signed_in, models):
        models.add(responses.POST, f"{MODELS}/listings/5/photos", body=requests.ConnectionError())
        response = signed_in.post(self.URL, {"photos": [a_file()]}, format="multipart")
        assert response.status_code == 503
        assert len(calls_to(models, "POST", "/listings/5/photos")) == 1

    def test_add_anonymous_is_401_and_nothing_sent(self, api, models):
        response = api.post(self.URL, {"photos": [a_file()]}, format="multipart")
        assert response.status_code == 401
        assert len(models.calls) == 0


class DeletePhotoTest:
    URL = "/api/v1/listings/5/photos/3"

    def test_delete_answers_200_with_the_listing(self, signed_in, models):
        remaining = a_listing(id=5, photos=[a_photo(id=1, position=0)])
        models.add(responses.DELETE, f"{MODELS}/listings/5/photos/3", json=remaining)
        response = signed_in.delete(self.URL)
        assert response.status_code == 200
        assert response.json() == remaining
        (call,) = calls_to(models, "DELETE", "/listings/5/photos/3")
        assert call.request.headers["X-Authenticator"] == TOKEN

    def test_delete_drops_the_cached_listing_page(self, signed_in, models):
        models.add(responses.GET, f"{MODELS}/listings/5", json=a_listing(id=5))
        models.add(
            responses.GET,
            f"{MODELS}/listings/5/recommendations",
            json={"listing_id": 5, "recommended": []},
        )
        models.add(responses.DELETE, f"{MODELS}/listings/5/photos/3", json=a_listing(id=5))
        signed_in.get("/api/v1/listings/5")
        signed_in.delete(self.URL)
        signed_in.get("/api/v1/listings/5")
        assert len(calls_to(models, "GET", "/listings/5")) == 2

    def test_photo_not_of_this_listing_is_404(self, signed_in, models):
        models.add(
            responses.DELETE,
            f"{MODELS}/listings/5/photos/3",
            status=404,
            json={"error": "not_found", "detail": "No such photo."},
        )
        response = signed_in.delete(self.URL)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")

    def test_delete_of_someone_elses_photo_is_403(self, signed_in, models):
        models.add(
            responses.DELETE,
            f"{MODELS}/listings/5/photos/3",
            status=403,
            json={"error": "permission_denied", "detail": "Not yours."},
        )
        assert signed_in.delete(self.URL).status_code == 403

    def test_non_numeric_photo_id_is_404_without_a_call(self, signed_in, models):
        assert signed_in.delete("/api/v1/listings/5/photos/abc").status_code == 404
        assert calls_to(models, "DELETE", "/photos/abc") == []

    def test_delete_anonymous_is_401(self, api, models):
        assert api.delete(self.URL).status_code == 401
        assert len(models.calls) == 0
