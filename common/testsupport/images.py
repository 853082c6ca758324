"""Test images for the photo upload paths, made on the fly (no binary fixtures).

``png`` and ``pixel_flood_png`` use only the standard library (the Selenium container
has no Pillow); ``jpeg_with_gps`` needs Pillow (every Python tier has it).
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
