"""The rules of listing photos, in one place for every tier.

models-api enforces them when it decodes and re-encodes an upload; the experience API
and the web form read the same numbers for their limits and messages; the thumbnail
worker reads the sizes. Plain values only (no Django, no Pillow).
"""

from __future__ import annotations

import re

MAX_PHOTOS_PER_LISTING = 8
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # per file, as uploaded
# Decompression-bomb guard: more pixels than this is refused before decoding
# (a 10 MB PNG can declare billions of pixels). 40 MP covers every phone camera.
MAX_PHOTO_PIXELS = 40_000_000
MIN_PHOTO_SIDE = 16
# The stored original is the upload re-encoded, scaled down (never up) to fit this box:
# it is what the thumbnails are made from and what pages show until they exist, and a
# 40 MP original would be 10+ MB on every such view for no visible gain.
ORIGINAL_MAX_SIDE = 2560
# The largest multipart body a photo upload may have: every file at its limit plus
# room for the form fields.
MAX_UPLOAD_BODY_BYTES = MAX_PHOTOS_PER_LISTING * MAX_PHOTO_BYTES + 1024 * 1024

# Pillow format name -> (content type, file extension). Anything else is refused.
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp"  # the <input type=file accept=...>
CONTENT_TYPES_BY_EXTENSION = {ext: ctype for ctype, ext in FORMATS.values()}

# Thumbnails made in the background from the upload event: name -> longest side in px.
# "card" is the cover on cards and search results, "detail" the listing page's gallery.
THUMBNAIL_SIZES: dict[str, int] = {"card": 480, "detail": 1200}
THUMBNAIL_FORMAT = "WEBP"

# Stored objects are named by the SHA-256 of their bytes: a name never changes meaning,
# so it can be cached for a year. Served publicly under MEDIA_PATH_PREFIX.
MEDIA_PATH_PREFIX = "/media/"
MEDIA_KEY_PATTERN = r"[0-9a-f]{64}\.(?:jpg|png|webp)"
MEDIA_KEY_RE = re.compile(rf"^{MEDIA_KEY_PATTERN}$")
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"

# Messages shown to users (one wording everywhere).
MESSAGE_TOO_MANY = f"At most {MAX_PHOTOS_PER_LISTING} photos per listing."
MESSAGE_TOO_LARGE = f"Each photo may be at most {MAX_PHOTO_BYTES // (1024 * 1024)} MB."
MESSAGE_NOT_AN_IMAGE = "Not a JPEG, PNG or WebP image."
MESSAGE_TOO_MANY_PIXELS = "The image has too many pixels."
MESSAGE_TOO_SMALL = f"The image must be at least {MIN_PHOTO_SIDE} pixels on each side."


def media_url(key: str) -> str:
    """The public path of a stored object, e.g. ``/media/<sha256>.jpg``."""
    return MEDIA_PATH_PREFIX + key
