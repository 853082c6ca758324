"""Uploaded photos, decoded and written again: the only bytes of an upload ever stored.

models-api calls :func:`reencode_upload` on every uploaded file before anything is
stored (docs/selling-and-buying.md, "Uploads are decoded and re-encoded"):

- the format is sniffed from the bytes (the file name and declared type are ignored);
  only JPEG, PNG and WebP are opened at all (``photo_rules.FORMATS``);
- the size the header declares is checked before any pixel is decoded: more than
  ``photo_rules.MAX_PHOTO_PIXELS`` is refused (a decompression bomb is a small file that
  declares billions of pixels), and so is a side under ``MIN_PHOTO_SIDE``;
- the whole image is decoded (a truncated or corrupt file fails here), EXIF orientation
  applied, colours converted to sRGB when an ICC profile says they are in another space,
  only the first frame of an animation kept, and the result scaled to fit
  ``ORIGINAL_MAX_SIDE``;
- the pixels are written again in the sniffed format with no metadata at all (no EXIF,
  so no GPS position or camera serial; no XMP, no ICC profile, no text chunks).

Pillow only; no Django. :class:`ImageRejected` carries the message shown to the user.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps

from mpcommon import photo_rules

logger = logging.getLogger(__name__)

# Pillow's own guard agrees with ours (it warns above this and refuses above twice
# this); reencode_upload checks the declared size itself before decoding.
Image.MAX_IMAGE_PIXELS = photo_rules.MAX_PHOTO_PIXELS

JPEG_QUALITY = 88
WEBP_QUALITY = 85
PNG_COMPRESS_LEVEL = 6  # zlib level; "optimize" would try every filter (slow on big images)
_SRGB = ImageCms.createProfile("sRGB")
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError)


class ImageRejected(ValueError):
    """The upload is not a photo we store; ``str(exc)`` is the message for the user."""


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    format: str  # a key of photo_rules.FORMATS
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return photo_rules.FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return photo_rules.FORMATS[self.format][1]


def sniff(data: bytes, *, min_side: int = photo_rules.MIN_PHOTO_SIDE) -> tuple[str, int, int]:
    """The format and declared size of an image from its header, without decoding it.

    Raises :class:`ImageRejected` for anything that is not a JPEG, PNG or WebP, and for
    a declared size over ``MAX_PHOTO_PIXELS`` or with a side under ``min_side``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(photo_rules.FORMATS)) as opened:
                fmt, width, height = opened.format, opened.width, opened.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(photo_rules.MESSAGE_TOO_MANY_PIXELS) from exc
    except _DECODE_ERRORS as exc:  # UnidentifiedImageError is an OSError
        raise ImageRejected(photo_rules.MESSAGE_NOT_AN_IMAGE) from exc
    if width * height > photo_rules.MAX_PHOTO_PIXELS:
        raise ImageRejected(photo_rules.MESSAGE_TOO_MANY_PIXELS)
    if min(width, height) < min_side:
        raise ImageRejected(photo_rules.MESSAGE_TOO_SMALL)
    if fmt not in photo_rules.FORMATS:
        raise ImageRejected(photo_rules.MESSAGE_NOT_AN_IMAGE)
    return fmt, width, height


def reencode_upload(data: bytes) -> Reencoded:
    """The upload ``data`` decoded and written again (see the module docstring).

    Raises :class:`ImageRejected` with the user's message for anything refused; nothing
    else escapes for bad input.
    """
    if len(data) > photo_rules.MAX_PHOTO_BYTES:
        raise ImageRejected(photo_rules.MESSAGE_TOO_LARGE)
    fmt, _, _ = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
                opened.seek(0)  # an animation: its first frame only
                icc = opened.info.get("icc_profile")
                image = ImageOps.exif_transpose(opened)  # a copy, decoded in full
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(photo_rules.MESSAGE_TOO_MANY_PIXELS) from exc
    except _DECODE_ERRORS as exc:  # truncated, corrupt, or lying about its format
        raise ImageRejected(photo_rules.MESSAGE_NOT_AN_IMAGE) from exc
    image = _to_srgb(_storable_mode(image, fmt), icc)
    limit = photo_rules.ORIGINAL_MAX_SIDE
    if max(image.size) > limit:
        image.thumbnail((limit, limit), Image.Resampling.LANCZOS)
    image.info = {}  # nothing of the original's metadata goes along
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"")
    elif fmt == "PNG":
        image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, exif=b"", xmp=b"")
    return Reencoded(data=out.getvalue(), format=fmt, width=image.width, height=image.height)


def _storable_mode(image: Image.Image, fmt: str) -> Image.Image:
    """A mode the format writes as is: JPEG L or RGB; PNG and WebP also keep alpha."""
    if image.mode.startswith("I"):  # 16/32-bit greyscale: scale to 8 bits first
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if fmt == "JPEG":
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    if image.mode in ("L", "RGB", "RGBA"):
        return image
    if image.has_transparency_data:
        return image.convert("RGBA")
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Pixels in another colour space (Display P3, Adobe RGB) converted to sRGB, so the
    profile can be dropped without the colours shifting. A profile that cannot be read
    is dropped as is (the pixels are then shown as sRGB, as most browsers would)."""
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        logger.info("unreadable ICC profile dropped", extra={"error": str(exc)[:200]})
        return image


def check_thumbnail(data: bytes) -> tuple[int, int]:
    """The size of a thumbnail the worker made, after decoding it in full.

    Thumbnails are stored as sent (so the same bytes give the same key again), but only
    once they are shown to be a WebP that decodes and fits the largest thumbnail box;
    :class:`ImageRejected` otherwise.
    """
    # A long thin original makes a thumbnail thinner than MIN_PHOTO_SIDE: that is fine.
    fmt, width, height = sniff(data, min_side=1)
    largest = max(photo_rules.THUMBNAIL_SIZES.values())
    if fmt != photo_rules.THUMBNAIL_FORMAT or max(width, height) > largest:
        raise ImageRejected(f"A thumbnail must be a WebP of at most {largest} px a side.")
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
            opened.load()
    except _DECODE_ERRORS as exc:
        raise ImageRejected(photo_rules.MESSAGE_NOT_AN_IMAGE) from exc
    return width, height
