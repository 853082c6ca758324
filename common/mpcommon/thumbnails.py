"""Thumbnails of a listing photo: the original's bytes -> a WebP that fits a box.

The batch ``thumbnails`` worker makes one per ``photo_rules.THUMBNAIL_SIZES`` entry and
PUTs them to models-api, which decodes them again before storing them. Pillow only; no
Django.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from mpcommon import photo_rules

# The same decompression-bomb guard as the upload path: Pillow warns above this many
# pixels and refuses above twice as many; make_thumbnail refuses above it, before
# decoding (opening only reads the header).
Image.MAX_IMAGE_PIXELS = photo_rules.MAX_PHOTO_PIXELS

WEBP_QUALITY = 80
WEBP_METHOD = 4  # encoder effort 0..6: 4 is Pillow's default speed/size balance
CONTENT_TYPE = "image/webp"
EXTENSION = "webp"


class ThumbnailError(ValueError):
    """The bytes are not an image Pillow can decode safely (or have too many pixels)."""


def make_thumbnail(data: bytes, max_side: int) -> tuple[bytes, int, int]:
    """A WebP of ``data`` whose longest side is at most ``max_side`` (never upscaled).

    EXIF orientation is applied, the pixels are converted to RGB (RGBA when the image
    has transparency) and no metadata (EXIF, ICC, XMP) is written. Returns the WebP's
    bytes, width and height; raises :class:`ThumbnailError` for anything undecodable.
    """
    if max_side < 1:
        raise ValueError("max_side must be >= 1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > photo_rules.MAX_PHOTO_PIXELS:
                    raise ThumbnailError(photo_rules.MESSAGE_TOO_MANY_PIXELS)
                opened.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
                image = ImageOps.exif_transpose(opened)
                image.load()
                image = _webp_mode(image)
                image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    except ThumbnailError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ThumbnailError(photo_rules.MESSAGE_TOO_MANY_PIXELS) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        # UnidentifiedImageError is an OSError; truncated data, bad chunks: OSError,
        # SyntaxError or ValueError depending on the plugin.
        raise ThumbnailError(f"not a decodable image: {exc}"[:300]) from exc
    image.info = {}  # nothing of the original's metadata goes along
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, exif=b"", xmp=b"")
    return out.getvalue(), image.width, image.height


def _webp_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when there is transparency: the two modes WebP encodes as is."""
    if image.mode in ("RGB", "RGBA"):
        return image
    if image.has_transparency_data:
        return image.convert("RGBA")
    if image.mode.startswith("I"):  # 16/32-bit greyscale: scale to 8 bits first
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert("RGB")
