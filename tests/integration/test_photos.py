"""Listing photos through the public door (HAProxy), across every tier.

Upload (exp -> models-api, decoded and re-encoded) -> ``photo.uploaded`` through the
outbox and Kafka -> the thumbnails worker -> models-api -> ``listing.updated`` -> the
indexer (search results carry the cover) and the pages. Media come back through
HAProxy's ``media`` cache with immutable, content-addressed names. Each test makes its
own users and listings, so it runs against any stack, any number of times.
"""

from __future__ import annotations

import io
import re

import pytest
import requests
from PIL import Image

from mpcommon import photo_rules
from testsupport import listing_fields, signup, unique_word, wait_until
from testsupport.images import jpeg_with_gps, pixel_flood_png, png

pytestmark = pytest.mark.integration

TIMEOUT = 60
# Upload -> thumbnails -> indexed is a few seconds; the deadline absorbs a loaded machine.
PIPELINE_DEADLINE = 90


def _create(api: str, account, word: str, files: list[tuple[str, bytes, str]]):
    parts = [("photos", (name, data, ctype)) for name, data, ctype in files]
    return requests.post(
        f"{api}/listings",
        data=listing_fields(title=f"Camera {word}"),
        files=parts,
        headers=account.headers,
        timeout=TIMEOUT,
    )


def _listing(api: str, listing_id: int) -> dict:
    response = requests.get(f"{api}/listings/{listing_id}", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def _thumbnails_made(api: str, listing_id: int) -> dict | None:
    listing = _listing(api, listing_id)
    photos = listing["photos"]
    if photos and all(p["card_url"] and p["detail_url"] for p in photos):
        return listing
    return None


def _search_cover(api: str, word: str) -> dict | None:
    response = requests.get(f"{api}/search", params={"q": word}, timeout=TIMEOUT)
    if response.status_code != 200 or not response.json()["results"]:
        return None
    cover = response.json()["results"][0].get("cover")
    return cover if cover and cover.get("card_url") else None


@pytest.fixture(scope="module")
def seller(api):
    return signup(api, prefix="photos")


@pytest.fixture(scope="module")
def camera(api, seller):
    """A listing created with a JPEG carrying GPS and a PNG, and its search word."""
    word = unique_word("ph")
    response = _create(
        api,
        seller,
        word,
        [("holiday.jpg", jpeg_with_gps(1600, 1200), "image/jpeg"), ("b.png", png(), "image/png")],
    )
    assert response.status_code == 201, response.text
    return response.json(), word


class UploadTest:
    def test_created_with_two_photos_in_order(self, camera):
        listing, _ = camera
        photos = listing["photos"]
        assert [p["position"] for p in photos] == [0, 1]
        assert photos[0]["url"].endswith(".jpg") and photos[1]["url"].endswith(".png")
        assert (photos[0]["width"], photos[0]["height"]) == (1600, 1200)

    def test_the_stored_photo_has_no_exif_and_no_gps(self, public_url, camera):
        listing, _ = camera
        response = requests.get(public_url + listing["photos"][0]["url"], timeout=TIMEOUT)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(response.content))
        assert dict(image.getexif()) == {}
        assert b"TestCameraMaker" not in response.content

    def test_media_are_immutable_cached_and_revalidate(self, public_url, camera):
        listing, _ = camera
        url = public_url + listing["photos"][1]["url"]
        first = requests.get(url, timeout=TIMEOUT)
        second = requests.get(url, timeout=TIMEOUT)
        assert first.status_code == second.status_code == 200
        assert first.headers["Cache-Control"] == photo_rules.MEDIA_CACHE_CONTROL
        assert first.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in first.headers["Content-Security-Policy"]
        assert "Set-Cookie" not in first.headers
        assert second.headers["X-Cache-Status"] == "HIT"
        assert second.content == first.content
        etag = first.headers["ETag"]
        assert etag.strip('"') in url
        again = requests.get(url, headers={"If-None-Match": etag}, timeout=TIMEOUT)
        assert again.status_code == 304

    def test_unknown_media_is_404_and_writes_are_405(self, public_url):
        assert requests.get(f"{public_url}/media/{'0' * 64}.jpg", timeout=30).status_code == 404
        assert requests.get(f"{public_url}/media/../etc", timeout=30).status_code == 404
        assert requests.post(f"{public_url}/media/x.jpg", timeout=30).status_code == 405

    def test_thumbnails_appear_and_search_shows_the_cover(self, api, public_url, camera):
        listing, word = camera
        made = wait_until(
            lambda: _thumbnails_made(api, listing["id"]), PIPELINE_DEADLINE, 0.5, "thumbnails"
        )
        card = requests.get(public_url + made["photos"][0]["card_url"], timeout=TIMEOUT)
        assert card.status_code == 200 and card.headers["Content-Type"] == "image/webp"
        image = Image.open(io.BytesIO(card.content))
        assert image.format == "WEBP" and max(image.size) == photo_rules.THUMBNAIL_SIZES["card"]
        detail_url = public_url + made["photos"][0]["detail_url"]
        detail = Image.open(io.BytesIO(requests.get(detail_url, timeout=TIMEOUT).content))
        assert max(detail.size) == photo_rules.THUMBNAIL_SIZES["detail"]
        cover = wait_until(lambda: _search_cover(api, word), PIPELINE_DEADLINE, 0.5, "cover")
        assert cover["id"] == made["photos"][0]["id"]

    def test_the_listing_page_shows_the_photos(self, public_url, camera):
        listing, _ = camera
        page = requests.get(f"{public_url}/listings/{listing['id']}/", timeout=TIMEOUT)
        assert page.status_code == 200
        sources = re.findall(r'<img[^>]+src="([^"]+)"', page.text)
        keys = [p["url"].rsplit("/", 1)[1].split(".")[0] for p in listing["photos"]]
        # the original or, once made, a thumbnail of it: either way each photo is there
        assert len([s for s in sources if s.startswith("/media/")]) >= len(keys)


class RefusalTest:
    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("notes.jpg", b"just text, named like a photo", "Not a JPEG, PNG or WebP"),
            ("flood.png", pixel_flood_png(), "too many pixels"),
        ],
        ids=["text-named-jpg", "pixel-flood"],
    )
    def test_fake_images_are_refused_and_nothing_is_created(self, api, seller, name, data, message):
        word = unique_word("bad")
        response = _create(api, seller, word, [("ok.png", png(), "image/png"), (name, data, "x")])
        assert response.status_code == 400, response.text
        problems = response.json()["fields"]["photos"]
        assert any(message in problem for problem in problems)
        dashboard = requests.get(f"{api}/dashboard", headers=seller.headers, timeout=TIMEOUT)
        assert word not in dashboard.text

    def test_nine_photos_are_refused(self, api, seller):
        files = [(f"{i}.png", png(20 + i, 20), "image/png") for i in range(9)]
        response = _create(api, seller, unique_word("nine"), files)
        assert response.status_code == 400
        assert response.json()["fields"]["photos"] == [photo_rules.MESSAGE_TOO_MANY]


class EditTest:
    def test_reorder_remove_and_add(self, api, seller):
        word = unique_word("ed")
        files = [(f"{i}.png", png(30 + i, 30), "image/png") for i in range(3)]
        created = _create(api, seller, word, files).json()
        first, second, third = (p["id"] for p in created["photos"])
        url = f"{api}/listings/{created['id']}"

        reordered = requests.patch(
            url, json={"photo_order": [third, first]}, headers=seller.headers, timeout=TIMEOUT
        )
        assert reordered.status_code == 200, reordered.text
        assert [p["id"] for p in reordered.json()["photos"]] == [third, first]

        removed = requests.delete(f"{url}/photos/{third}", headers=seller.headers, timeout=30)
        assert removed.status_code == 200
        assert [p["id"] for p in removed.json()["photos"]] == [first]

        added = requests.post(
            f"{url}/photos",
            files=[("photos", ("new.jpg", jpeg_with_gps(), "image/jpeg"))],
            headers=seller.headers,
            timeout=TIMEOUT,
        )
        assert added.status_code == 201, added.text
        assert [p["position"] for p in added.json()["photos"]] == [0, 1]
        assert second not in [p["id"] for p in added.json()["photos"]]

    def test_a_stranger_cannot_touch_the_photos(self, api, seller, camera):
        listing, _ = camera
        other = signup(api, prefix="photos")
        photo_id = listing["photos"][0]["id"]
        response = requests.delete(
            f"{api}/listings/{listing['id']}/photos/{photo_id}", headers=other.headers, timeout=30
        )
        assert response.status_code == 403
        assert photo_id in [p["id"] for p in _listing(api, listing["id"])["photos"]]
