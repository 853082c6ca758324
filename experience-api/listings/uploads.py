"""Photo uploads: the multipart parser of the photo endpoints and their input fields.

Only the endpoints that take photos (create, PATCH, add photos of a listing) read
multipart/form-data; every other endpoint stays JSON only (415 for a form). Their
bodies may be up to ``photo_rules.MAX_UPLOAD_BODY_BYTES`` (every photo at its limit
plus the form fields); JSON bodies keep ``MAX_REQUEST_BODY_BYTES`` everywhere.

The checks here are the cheap ones, made before anything is forwarded: how many files
and how large each is (photo_rules' numbers and messages, 400 on ``photos``).
models-api decodes and re-encodes every file and is the authority on what is an image;
its 400s on ``photos`` are passed through.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.utils import extend_schema_field
from rest_framework import parsers, serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from mpcommon import photo_rules
from mpcommon.api_fields import IdField
from mpcommon.api_parsers import PayloadTooLarge, StrictJSONParser

PHOTOS_FIELD = "photos"


class PhotoUploadParser(parsers.MultiPartParser):
    """multipart/form-data up to ``settings.MAX_UPLOAD_BODY_BYTES`` (413 above).

    The declared length is what counts: Django reads the body through a stream capped
    at ``Content-Length`` (a body without one is read as empty), so no more than that
    can arrive. Files of more than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` in all are spooled to
    temporary files (deleted when the request ends), not held in memory.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {})["request"]
        limit = settings.MAX_UPLOAD_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        try:
            return super().parse(stream, media_type, parser_context)
        except TooManyFilesSent as exc:
            # DATA_UPLOAD_MAX_NUMBER_FILES stops the parse at the first file too many.
            raise serializers.ValidationError(
                {PHOTOS_FIELD: [photo_rules.MESSAGE_TOO_MANY]}
            ) from exc


# The parsers of the photo endpoints: JSON as everywhere (DEFAULT_PARSER_CLASSES, with
# its own limit), or a multipart form with files.
PHOTO_PARSERS = [StrictJSONParser, PhotoUploadParser]


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": photo_rules.MAX_PHOTOS_PER_LISTING,
        "description": (
            f"JPEG, PNG or WebP files, one multipart part named '{PHOTOS_FIELD}' each, in "
            f"order; at most {photo_rules.MAX_PHOTOS_PER_LISTING} per listing, "
            f"{photo_rules.MAX_PHOTO_BYTES // (1024 * 1024)} MB each."
        ),
    }
)
class PhotoFilesField(serializers.Field):
    """The ``photos`` files of a multipart request (a repeated file part), in order.

    Refused here (400, one list of messages on ``photos``): anything that is not an
    uploaded file (``photos`` in a JSON body, or a text part of that name), more files
    than ``max_count``, a file over ``photo_rules.MAX_PHOTO_BYTES``, an empty file.
    """

    default_error_messages = {
        "not_files": f"Send photos as multipart/form-data file parts named '{PHOTOS_FIELD}'.",
        "too_many": photo_rules.MESSAGE_TOO_MANY,
        "too_large": photo_rules.MESSAGE_TOO_LARGE,
        "empty_file": photo_rules.MESSAGE_NOT_AN_IMAGE,
    }

    def __init__(self, *, max_count: int = photo_rules.MAX_PHOTOS_PER_LISTING, **kwargs):
        self.max_count = max_count
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if self.field_name not in dictionary:
            return empty
        if html.is_html_input(dictionary):
            return dictionary.getlist(self.field_name)  # every part of that name
        return dictionary.get(self.field_name)

    def to_internal_value(self, data) -> list[UploadedFile]:
        if not isinstance(data, list) or not all(isinstance(f, UploadedFile) for f in data):
            self.fail("not_files")
        problems = []
        if len(data) > self.max_count:
            problems.append(self.error_messages["too_many"])
        if any(f.size > photo_rules.MAX_PHOTO_BYTES for f in data):
            problems.append(self.error_messages["too_large"])
        if any(f.size == 0 for f in data):
            problems.append(self.error_messages["empty_file"])
        if problems:
            raise serializers.ValidationError(problems)
        return data

    def to_representation(self, value):
        return [f.name for f in value]


class PhotoOrderField(serializers.ListField):
    """``photo_order``: ids of the listing's photos to keep, in their new order (a JSON
    list, or a repeated multipart field); ``[]`` in JSON removes every photo."""

    default_error_messages = {
        "duplicate": "Each photo may appear only once.",
        "too_many": photo_rules.MESSAGE_TOO_MANY,
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("child", IdField())
        kwargs.setdefault(
            "help_text",
            "Ids of this listing's photos to keep, in the new order; absent keeps all.",
        )
        super().__init__(**kwargs)

    def run_child_validation(self, data):
        # One flat list of messages on photo_order (DRF would key them by item index,
        # which the error envelope would spell "photo_order.0").
        ids, problems = [], []
        for item in data:
            try:
                ids.append(self.child.run_validation(item))
            except serializers.ValidationError as exc:
                problems.extend(m for m in exc.detail if m not in problems)
        if problems:
            raise serializers.ValidationError(problems)
        return ids

    def to_internal_value(self, data) -> list[int]:
        ids = super().to_internal_value(data)
        if len(set(ids)) != len(ids):
            self.fail("duplicate")
        if len(ids) > photo_rules.MAX_PHOTOS_PER_LISTING:
            self.fail("too_many")
        return ids
