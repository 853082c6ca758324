"""The thumbnail worker: ``photo.uploaded`` events -> WebP thumbnails stored by models-api.

Per event: GET the original from models-api (``/media/<original>``), make one WebP per
``photo_rules.THUMBNAIL_SIZES`` entry (``mpcommon.thumbnails``) and PUT them to
``/photos/<id>/thumbnails``; models-api stores them and bumps the listing. Offsets are
committed only after every event of the batch is done:

- 404 from either call: the photo or its listing is gone; nothing to do (skipped).
- models-api unreachable, 5xx, 401/403/429...: retried with backoff, offsets held (the
  partition paused, the consumer kept in its group), so nothing is lost.
- a poison message (not a photo event, an undecodable original, thumbnails refused as
  malformed): parked in the dead-letter topic, and the worker goes on.

The PUT is idempotent (same bytes, same keys), so a replayed event changes nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mpcommon import events, photo_rules
from mpcommon.thumbnails import ThumbnailError, make_thumbnail

from . import kafka_io
from .lifecycle import ShutdownFlag
from .models_api import ModelsApiClient, ModelsApiError
from .models_api import is_transient as models_api_transient
from .settings import Settings
from .worker import ConsumerWorker

logger = logging.getLogger(__name__)

# A photo takes up to a few seconds to decode and encode: past this much time since the
# last poll, the consumer polls (paused) between two photos, to stay in its group.
KEEPALIVE_AFTER_SECONDS = 2.0


class Gone(Exception):
    """models-api answered 404: the photo or its listing no longer exists."""


class Poison(Exception):
    """This event can never be processed; it goes to the dead-letter topic."""


def decode_photo_event(value: bytes | None) -> dict:
    """The validated ``photo.uploaded`` event, or :class:`Poison`."""
    try:
        event = events.decode(events.TOPIC_PHOTOS, value)
    except (events.InvalidEvent, TypeError, ValueError) as exc:
        raise Poison(f"invalid event: {exc}"[:500]) from exc
    if event["type"] != events.PHOTO_UPLOADED:  # the schema allows only it today
        raise Poison(f"unexpected event type {event['type']!r}")
    return event


def make_thumbnails(original: bytes) -> dict[str, tuple[bytes, int, int]]:
    """Every thumbnail of the rules' sizes: name -> (WebP bytes, width, height)."""
    try:
        return {
            name: make_thumbnail(original, max_side)
            for name, max_side in photo_rules.THUMBNAIL_SIZES.items()
        }
    except ThumbnailError as exc:
        raise Poison(f"original not decodable: {exc}"[:500]) from exc


class ThumbnailWorker(ConsumerWorker):
    """Consumes photo events and makes each photo's thumbnails."""

    name = "thumbnails"

    def __init__(
        self,
        *,
        consumer,
        models_api: ModelsApiClient,
        dead_letters: kafka_io.DeadLetterPublisher,
        settings: Settings,
        shutdown: ShutdownFlag,
    ):
        super().__init__(
            consumer=consumer, dead_letters=dead_letters, settings=settings, shutdown=shutdown
        )
        self.models_api = models_api
        self.topic = settings.photos_topic

    def describe(self) -> dict:
        return {"topic": self.topic, "sizes": photo_rules.THUMBNAIL_SIZES}

    @property
    def batch_size(self) -> int:
        return self.settings.thumbnails_batch_size

    @property
    def linger_seconds(self) -> float:
        return 0.0  # each photo is work enough; no point waiting for a fuller batch

    def process(self, records: list) -> None:
        started = time.perf_counter()
        last_poll = time.monotonic()
        poison: list[tuple[Any, str]] = []
        made = skipped = 0
        for index, record in enumerate(records):
            if index and time.monotonic() - last_poll > KEEPALIVE_AFTER_SECONDS:
                self.paused.keepalive()  # acknowledge() resumes the partitions
                last_poll = time.monotonic()
            try:
                self.handle(record)
                made += 1
            except Gone as exc:
                skipped += 1
                logger.info("photo gone; skipped", extra={"offset": record.offset, "why": str(exc)})
            except Poison as exc:
                poison.append((record, str(exc)))
        self.dead_letter(poison)
        self.acknowledge(records)
        logger.info(
            "made thumbnails",
            extra={
                "records": len(records),
                "photos": made,
                "skipped": skipped,
                "dead_lettered": len(poison),
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def handle(self, record) -> dict:
        """One event: the photo as models-api has it after the PUT. Raises Gone/Poison;
        transient errors are retried here until they pass (or shutdown: Stopping)."""
        event = decode_photo_event(record.value)
        photo_id = event["photo_id"]
        original = self._call(
            lambda: self.models_api.media(event["original"]), f"get original of {photo_id}"
        )
        thumbnails = make_thumbnails(original)
        photo = self._call(
            lambda: self.models_api.put_thumbnails(
                photo_id, {name: data for name, (data, _, _) in thumbnails.items()}
            ),
            f"put thumbnails of {photo_id}",
        )
        logger.info(
            "thumbnails stored",
            extra={
                "photo_id": photo_id,
                "listing_id": event["listing_id"],
                "sizes": {name: [w, h] for name, (_, w, h) in thumbnails.items()},
                "bytes": {name: len(data) for name, (data, _, _) in thumbnails.items()},
            },
        )
        return photo

    def _call(self, operation, what: str):
        try:
            return self._retry(operation, _transient, what)
        except ModelsApiError as exc:
            if exc.status == 404:
                raise Gone(f"{what}: 404") from exc
            # Only a permanent refusal gets here (400/413/422: models-api re-decodes the
            # thumbnails and refused them): sending the same again cannot succeed.
            raise Poison(f"{what}: {exc}"[:500]) from exc


def _transient(exc: BaseException) -> bool:
    # 404 is final here (the photo or listing is gone), unlike for the other workers.
    if isinstance(exc, ModelsApiError) and exc.status == 404:
        return False
    return models_api_transient(exc)


def run(settings: Settings, shutdown: ShutdownFlag) -> None:
    models_api = ModelsApiClient.from_settings(settings)
    consumer = kafka_io.create_consumer(
        settings.photos_topic,
        settings.thumbnails_group,
        settings,
        max_poll_records=settings.thumbnails_batch_size,
    )
    dead_letters = kafka_io.DeadLetterPublisher(kafka_io.create_producer())
    worker = ThumbnailWorker(
        consumer=consumer,
        models_api=models_api,
        dead_letters=dead_letters,
        settings=settings,
        shutdown=shutdown,
    )
    try:
        worker.run()
    finally:
        consumer.close(autocommit=False)
        dead_letters.close()
        models_api.close()
