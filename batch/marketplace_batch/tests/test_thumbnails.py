"""The thumbnail worker on the real broker (a topic, DLQ and group per test) with
models-api stubbed at its HTTP boundary (``responses``): thumbnails PUT as two WebP
files, a replayed event, a photo gone (404), models-api down then back (nothing lost,
no commit meanwhile), poison to the dead-letter topic; and the client's two calls."""

import io
import json
from dataclasses import replace
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import responses
from PIL import Image

from marketplace_batch.lifecycle import ShutdownFlag
from marketplace_batch.models_api import ModelsApiClient, ModelsApiError
from marketplace_batch.thumbnails import Poison, ThumbnailWorker, decode_photo_event
from mpcommon import events, photo_rules
from testsupport.kafka import end_offset, read_messages

from .conftest import committed_offset, run_until_handled

BASE = "http://models.test/api/v1"
ORIGINAL = "a" * 64 + ".jpg"
OTHER = "b" * 64 + ".png"
MEDIA_URL = f"{BASE}/media/{ORIGINAL}"


def photo_event(photo_id: int = 11, listing_id: int = 3, original: str = ORIGINAL) -> bytes:
    return events.encode(events.photo_uploaded_event(photo_id, listing_id, original))


def put_url(photo_id: int = 11) -> str:
    return f"{BASE}/photos/{photo_id}/thumbnails"


def jpeg(size=(2000, 1500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, "JPEG", quality=85)
    return out.getvalue()


def photo_body(photo_id: int = 11) -> dict:
    return {
        "id": photo_id,
        "position": 0,
        "width": 2000,
        "height": 1500,
        "url": photo_rules.media_url(ORIGINAL),
        "card_url": photo_rules.media_url("c" * 64 + ".webp"),
        "detail_url": photo_rules.media_url("d" * 64 + ".webp"),
    }


def multipart_files(request) -> dict[str, dict]:
    """name -> {filename, content_type, data} of a multipart/form-data request."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[name] = {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "data": part.get_payload(decode=True),
        }
    return parts


def puts() -> list:
    return [call.request for call in responses.calls if call.request.method == "PUT"]


@pytest.fixture
def thumbnail_settings(settings, topic):
    return replace(settings, photos_topic=topic)


@pytest.fixture
def worker_factory(thumbnail_settings, dead_letters, group_consumer, topic):
    """``worker_factory()``: a (re)started worker on this test's topic and group."""

    def make() -> ThumbnailWorker:
        return ThumbnailWorker(
            consumer=group_consumer(topic),
            models_api=ModelsApiClient("http://models.test", "secret", retries=0, backoff_factor=0),
            dead_letters=dead_letters,
            settings=thumbnail_settings,
            shutdown=ShutdownFlag(),
        )

    return make


class ThumbnailWorkerTest:
    @responses.activate
    def test_photo_event_thumbnails_put_as_two_webp_files_then_committed(
        self, topic, produce, worker_factory
    ):
        responses.get(MEDIA_URL, body=jpeg(), content_type="image/jpeg")
        responses.put(put_url(), json=photo_body())
        produce(topic, [photo_event()])
        worker = worker_factory()
        assert run_until_handled(worker, 1) == 1
        (request,) = puts()
        assert request.headers["X-Service-Token"] == "secret"
        assert responses.calls[0].request.headers["X-Service-Token"] == "secret"
        files = multipart_files(request)
        assert set(files) == set(photo_rules.THUMBNAIL_SIZES) == {"card", "detail"}
        for name, max_side in photo_rules.THUMBNAIL_SIZES.items():
            assert files[name]["filename"] == f"{name}.webp"
            assert files[name]["content_type"] == "image/webp"
            image = Image.open(io.BytesIO(files[name]["data"]))
            assert image.format == "WEBP"
            assert max(image.size) == max_side  # the 2000 px original fits the box
            assert image.size == (max_side, max_side * 3 // 4)
        assert committed_offset(worker.consumer, topic) == 1
        assert end_offset(events.dead_letter_topic(topic)) == 0

    @responses.activate
    def test_replayed_event_puts_the_same_bytes_again(self, topic, produce, worker_factory):
        responses.get(MEDIA_URL, body=jpeg(), content_type="image/jpeg")
        responses.put(put_url(), json=photo_body())
        event = photo_event()
        produce(topic, [event, event])  # e.g. the outbox relay published it twice
        worker = worker_factory()
        assert run_until_handled(worker, 2) == 2
        first, again = (multipart_files(request) for request in puts())
        assert {n: f["data"] for n, f in first.items()} == {n: f["data"] for n, f in again.items()}
        assert committed_offset(worker.consumer, topic) == 2
        assert end_offset(events.dead_letter_topic(topic)) == 0

    @responses.activate
    @pytest.mark.parametrize("gone", ["original", "photo"])
    def test_photo_gone_404_skipped_and_committed(self, gone, topic, produce, worker_factory):
        if gone == "original":
            responses.get(MEDIA_URL, status=404, json={"error": "not_found"})
        else:
            responses.get(MEDIA_URL, body=jpeg((600, 400)), content_type="image/jpeg")
            responses.put(put_url(), status=404, json={"error": "not_found"})
        responses.get(f"{BASE}/media/{OTHER}", body=jpeg((600, 400)), content_type="image/png")
        responses.put(put_url(12), json=photo_body(12))
        produce(topic, [photo_event(), photo_event(12, 3, OTHER)])
        worker = worker_factory()
        assert run_until_handled(worker, 2) == 2
        assert [request.url for request in puts()] == (
            [put_url(12)] if gone == "original" else [put_url(11), put_url(12)]
        )
        assert committed_offset(worker.consumer, topic) == 2
        assert end_offset(events.dead_letter_topic(topic)) == 0

    @responses.activate
    @pytest.mark.parametrize("down_on", ["GET", "PUT"])
    def test_models_api_down_retried_without_commit_then_done(
        self, down_on, topic, produce, worker_factory
    ):
        worker = None
        commits_while_down: list = []
        failures = {"left": 3}

        def flaky(ok_status, ok_body, content_type):
            def answer(request):
                if failures["left"]:
                    failures["left"] -= 1
                    commits_while_down.append(committed_offset(worker.consumer, topic))
                    return 503, {}, "unavailable"
                return ok_status, {"Content-Type": content_type}, ok_body

            return answer

        original = jpeg((1000, 800))
        photo = json.dumps(photo_body())
        if down_on == "GET":
            responses.add_callback(
                responses.GET, MEDIA_URL, callback=flaky(200, original, "image/jpeg")
            )
            responses.put(put_url(), json=photo_body())
        else:
            responses.get(MEDIA_URL, body=original, content_type="image/jpeg")
            responses.add_callback(
                responses.PUT, put_url(), callback=flaky(200, photo, "application/json")
            )
        produce(topic, [photo_event()])
        worker = worker_factory()
        assert run_until_handled(worker, 1) == 1
        assert commits_while_down == [None, None, None]
        assert len(puts()) == (1 if down_on == "GET" else 4)
        assert committed_offset(worker.consumer, topic) == 1
        assert worker.consumer.paused() == set()  # paused while waiting, resumed after
        assert end_offset(events.dead_letter_topic(topic)) == 0

    @responses.activate
    def test_poison_dead_lettered_raw_and_the_rest_processed(self, topic, produce, worker_factory):
        undecodable = "e" * 64 + ".jpg"
        refused = "f" * 64 + ".jpg"
        responses.get(
            f"{BASE}/media/{undecodable}", body=b"not an image", content_type="image/jpeg"
        )
        responses.get(f"{BASE}/media/{refused}", body=jpeg((500, 500)), content_type="image/jpeg")
        responses.put(put_url(13), status=400, json={"error": "validation_failed"})
        responses.get(MEDIA_URL, body=jpeg((500, 500)), content_type="image/jpeg")
        responses.put(put_url(), json=photo_body())
        listing_event = events.encode(
            events.listing_event(events.LISTING_DELETED, 3, 2, None)
        )  # valid JSON, wrong schema for this topic
        poison = [
            b"{not json",
            listing_event,
            photo_event(12, 3, undecodable),
            photo_event(13, 3, refused),
        ]
        produce(topic, [*poison, photo_event()])
        worker = worker_factory()
        assert run_until_handled(worker, 5) == 5
        parked = read_messages(events.dead_letter_topic(topic), 4)
        assert [message.value for message in parked] == poison
        assert [request.url for request in puts()] == [put_url(13), put_url()]
        assert committed_offset(worker.consumer, topic) == 5


class DecodePhotoEventTest:
    def test_valid_event_decoded(self):
        assert decode_photo_event(photo_event())["photo_id"] == 11

    @pytest.mark.parametrize(
        "value", [None, b"", b"\xff", b"[]", b'{"v": 1, "type": "photo.uploaded"}']
    )
    def test_invalid_values_are_poison(self, value):
        with pytest.raises(Poison):
            decode_photo_event(value)

    def test_original_not_a_media_key_is_poison(self):
        event = events.photo_uploaded_event(1, 2, "../../etc/passwd")
        with pytest.raises(Poison):
            decode_photo_event(json.dumps(event).encode())


class PhotoClientTest:
    @responses.activate
    def test_media_returns_the_bytes(self):
        responses.get(MEDIA_URL, body=b"\x89PNG...", content_type="image/png")
        client = ModelsApiClient("http://models.test", "secret")
        assert client.media(ORIGINAL) == b"\x89PNG..."
        assert responses.calls[0].request.headers["Accept"] == "*/*"

    @responses.activate
    def test_media_404_raised_as_models_api_error(self):
        responses.get(MEDIA_URL, status=404, json={"error": "not_found"})
        with pytest.raises(ModelsApiError) as raised:
            ModelsApiClient("http://models.test", "secret").media(ORIGINAL)
        assert raised.value.status == 404

    @responses.activate
    def test_put_thumbnails_sends_named_webp_files(self):
        responses.put(put_url(), json=photo_body())
        client = ModelsApiClient("http://models.test", "secret")
        photo = client.put_thumbnails(11, {"card": b"RIFF1", "detail": b"RIFF2"})
        assert photo["id"] == 11
        files = multipart_files(responses.calls[0].request)
        assert files == {
            "card": {"filename": "card.webp", "content_type": "image/webp", "data": b"RIFF1"},
            "detail": {"filename": "detail.webp", "content_type": "image/webp", "data": b"RIFF2"},
        }
