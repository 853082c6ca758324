"""make_thumbnail on Pillow-made images: fit, never upscale, orientation, modes, no
metadata, and refusals."""

import io

import pytest
from PIL import Image

from mpcommon import photo_rules
from mpcommon.thumbnails import ThumbnailError, make_thumbnail


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class MakeThumbnailTest:
    def test_large_jpeg_fits_the_box_keeping_its_aspect(self):
        data = encoded(Image.new("RGB", (3000, 2000), (200, 30, 30)), "JPEG")
        thumbnail, width, height = make_thumbnail(data, 480)
        image = decoded(thumbnail)
        assert image.format == "WEBP"
        assert (width, height) == image.size == (480, 320)
        assert image.mode == "RGB"

    def test_portrait_fits_on_its_height(self):
        data = encoded(Image.new("RGB", (900, 1800), "white"), "PNG")
        _, width, height = make_thumbnail(data, 1200)
        assert (width, height) == (600, 1200)

    def test_small_image_is_never_upscaled(self):
        data = encoded(Image.new("RGB", (300, 200), "blue"), "PNG")
        thumbnail, width, height = make_thumbnail(data, 1200)
        assert (width, height) == decoded(thumbnail).size == (300, 200)

    def test_exif_orientation_is_applied(self):
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 degrees clockwise to display
        data = encoded(Image.new("RGB", (800, 400), "green"), "JPEG", exif=exif.tobytes())
        thumbnail, width, height = make_thumbnail(data, 480)
        assert (width, height) == (240, 480)
        assert decoded(thumbnail).size == (240, 480)

    def test_no_metadata_is_written(self):
        exif = Image.Exif()
        exif[0x010F] = "CameraMaker"
        exif[0x0112] = 1
        image = Image.new("RGB", (640, 480), "red")
        icc = b"\0" * 128  # an opaque ICC blob: only its presence matters here
        data = encoded(image, "WEBP", exif=exif.tobytes(), icc_profile=icc, quality=90)
        assert "exif" in decoded(data).info  # the original carries it
        thumbnail, _, _ = make_thumbnail(data, 480)
        info = decoded(thumbnail).info
        assert "exif" not in info and "icc_profile" not in info and "xmp" not in info
        assert b"CameraMaker" not in thumbnail

    def test_transparency_kept_as_rgba(self):
        image = Image.new("RGBA", (1000, 1000), (0, 0, 0, 0))
        image.paste((10, 200, 10, 255), (0, 0, 500, 500))
        thumbnail, width, _ = make_thumbnail(encoded(image, "PNG"), 480)
        result = decoded(thumbnail)
        assert width == 480 and result.mode == "RGBA"
        assert result.getpixel((470, 470))[3] == 0
        assert result.getpixel((10, 10))[3] == 255

    @pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16", "LA"])
    def test_other_modes_become_rgb_or_rgba(self, mode):
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        data = encoded(Image.new(mode, (600, 300)), fmt)
        thumbnail, width, height = make_thumbnail(data, 480)
        result = decoded(thumbnail)
        assert (width, height) == (480, 240)
        assert result.mode == ("RGBA" if mode == "LA" else "RGB")

    def test_output_is_smaller_than_a_large_original(self):
        noise = Image.effect_noise((2400, 1600), 64).convert("RGB")
        data = encoded(noise, "PNG")
        thumbnail, _, _ = make_thumbnail(data, photo_rules.THUMBNAIL_SIZES["card"])
        assert len(thumbnail) < len(data) / 10

    @pytest.mark.parametrize(
        "data", [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 40]
    )
    def test_undecodable_bytes_are_refused(self, data):
        with pytest.raises(ThumbnailError):
            make_thumbnail(data, 480)

    def test_truncated_jpeg_is_refused(self):
        data = encoded(Image.effect_noise((800, 800), 50).convert("RGB"), "JPEG")
        with pytest.raises(ThumbnailError):
            make_thumbnail(data[: len(data) // 2], 480)

    def test_too_many_pixels_refused_before_decoding(self):
        side = int(photo_rules.MAX_PHOTO_PIXELS**0.5) + 10  # just over the limit
        data = encoded(Image.new("1", (side, side)), "PNG")  # tiny file, many pixels
        with pytest.raises(ThumbnailError, match="too many pixels"):
            make_thumbnail(data, 480)

    def test_max_side_must_be_positive(self):
        with pytest.raises(ValueError):
            make_thumbnail(b"", 0)
