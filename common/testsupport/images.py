"""Test images for the photo upload paths, made on the fly (no binary fixtures).

``png`` and ``pixel_flood_png`` use only the standard library (the Selenium container
has no Pillow); ``jpeg_with_gps`` and ``product_photo`` need Pillow (every Python tier
has it). ``product_photo`` is also what the README screenshots and the pages benchmark
upload.
"""

from __future__ import annotations

import io
import struct
import zlib


def _chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def _png(width: int, height: int, rows: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def png(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A solid-colour RGB PNG."""
    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels
    return _png(width, height, row * height)


def pixel_flood_png(side: int = 30_000) -> bytes:
    """A few-KB PNG that declares ``side`` x ``side`` pixels (900 MP by default): a
    decompression bomb, only its first rows are really there."""
    row = b"\x00" + b"\x00\x00\x00" * side
    return _png(side, side, row * 4)


def jpeg_with_gps(width: int = 640, height: int = 480, *, orientation: int = 1) -> bytes:
    """A JPEG carrying EXIF with a camera make, a GPS position and ``orientation``."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "TestCameraMaker"  # Make
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(
        out, "JPEG", quality=90, exif=exif.tobytes()
    )
    return out.getvalue()


def product_photo(index: int, width: int = 1200, height: int = 900) -> bytes:
    """A product-style shot drawn with Pillow: a soft backdrop, a shadow and an object."""
    from PIL import Image, ImageDraw, ImageFilter

    palettes = [((236, 229, 218), (120, 78, 52)), ((222, 232, 238), (52, 88, 120)),
                ((232, 236, 222), (86, 110, 60))]  # fmt: skip
    backdrop, colour = palettes[index % len(palettes)]
    image = Image.new("RGB", (width, height), backdrop)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # light falls from the top
        shade = int(18 * y / height)
        draw.line([(0, y), (width, y)], fill=tuple(max(0, c - shade) for c in backdrop))
    box = (width * 0.28, height * 0.22, width * 0.72, height * 0.78)
    shadow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(shadow).rounded_rectangle(
        (box[0] + 24, box[1] + 36, box[2] + 24, box[3] + 36), radius=40, fill=110
    )
    image.paste((60, 50, 40), mask=shadow.filter(ImageFilter.GaussianBlur(28)))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(box, radius=40, fill=colour)
    for shelf in range(1, 4 + index % 2):
        y = box[1] + (box[3] - box[1]) * shelf / (5 + index % 2)
        draw.line([(box[0] + 30, y), (box[2] - 30, y)], fill=backdrop, width=10)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
