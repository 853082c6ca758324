"""Photo uploads out of a request: multipart files checked and re-encoded, form fields
as a plain dict. Decoding happens here, before any transaction or row lock is taken."""

from __future__ import annotations

from django.conf import settings

from core.errors import ValidationFailed
from mpcommon import photo_rules
from mpcommon.imaging import ImageRejected, Reencoded, reencode_upload

PHOTOS_FIELD = "photos"
LIST_FIELDS = ("photo_order",)
NAME_SHOWN_MAX = 80


def is_multipart(request) -> bool:
    return (request.content_type or "").startswith("multipart/form-data")


def upload_body_limit(request) -> int:
    """Multipart bodies may carry every photo; anything else keeps the general limit."""
    if is_multipart(request):
        return photo_rules.MAX_UPLOAD_BODY_BYTES
    return settings.MAX_REQUEST_BODY_BYTES


def form_fields(request) -> dict:
    """The request's fields but the files: JSON as it is; multipart as one value per
    field (the last one), ``photo_order`` as the list of every value given."""
    data = request.data
    if not is_multipart(request):
        if isinstance(data, dict) and PHOTOS_FIELD in data:
            raise ValidationFailed(
                {PHOTOS_FIELD: ["Send photos as files of a multipart/form-data request."]}
            )
        return dict(data) if isinstance(data, dict) else data
    fields: dict = {}
    for name in data:
        if name == PHOTOS_FIELD:
            continue
        fields[name] = data.getlist(name) if name in LIST_FIELDS else data.get(name)
    return fields


def _shown(name: str | None) -> str:
    name = (name or "file").replace("\n", " ").strip() or "file"
    return name if len(name) <= NAME_SHOWN_MAX else name[: NAME_SHOWN_MAX - 1] + "…"


def uploaded_photos(request, *, room: int = photo_rules.MAX_PHOTOS_PER_LISTING) -> list[Reencoded]:
    """Every ``photos`` file of the request, decoded and re-encoded, in order.

    ``room`` is how many more photos the listing may take. Any refusal (too many, too
    large, not an image, too many pixels) raises ValidationFailed on ``photos`` naming
    each bad file; nothing is kept of any of them then.
    """
    if not is_multipart(request):
        return []
    files = request.FILES.getlist(PHOTOS_FIELD)
    if len(files) > room:
        raise ValidationFailed({PHOTOS_FIELD: [photo_rules.MESSAGE_TOO_MANY]})
    images, problems = [], []
    for upload in files:
        if upload.size > photo_rules.MAX_PHOTO_BYTES:
            problems.append(f"{_shown(upload.name)}: {photo_rules.MESSAGE_TOO_LARGE}")
            continue
        try:
            images.append(reencode_upload(upload.read()))
        except ImageRejected as exc:
            problems.append(f"{_shown(upload.name)}: {exc}")
        finally:
            upload.close()
    if problems:
        raise ValidationFailed({PHOTOS_FIELD: problems})
    return images
