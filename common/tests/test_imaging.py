"""reencode_upload and check_thumbnail: what is stored of an upload, and what is refused."""

import io

import pytest
from PIL import Image, ImageCms

from mpcommon import imaging, photo_rules
from mpcommon.imaging import ImageRejected, check_thumbnail, reencode_upload
from testsupport.images import jpeg_with_gps, pixel_flood_png, png


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class ReencodeUploadTest:
    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    def test_each_format_is_written_again_in_that_format(self, fmt):
        data = encoded(Image.new("RGB", (300, 200), (10, 200, 90)), fmt)
        result = reencode_upload(data)
        assert result.format == fmt
        assert (result.width, result.height) == (300, 200)
        assert decoded(result.data).format == fmt
        assert result.content_type == photo_rules.FORMATS[fmt][0]
        assert result.extension == photo_rules.FORMATS[fmt][1]

    def test_exif_and_gps_are_gone(self):
        original = decoded(jpeg_with_gps())
        assert original.getexif().get_ifd(0x8825)  # the upload has a GPS position

        stored = decoded(reencode_upload(jpeg_with_gps()).data)

        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info and "xmp" not in stored.info
        assert b"TestCameraMaker" not in reencode_upload(jpeg_with_gps()).data

    def test_exif_orientation_is_applied_to_the_pixels(self):
        result = reencode_upload(jpeg_with_gps(640, 480, orientation=6))
        assert (result.width, result.height) == (480, 640)

    def test_text_chunks_and_icc_profile_are_not_kept(self):
        from PIL import PngImagePlugin

        text = PngImagePlugin.PngInfo()
        text.add_text("Author", "Someone Private")
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        data = encoded(Image.new("RGB", (64, 64), "red"), "PNG", pnginfo=text, icc_profile=icc)

        stored = reencode_upload(data).data

        assert b"Someone Private" not in stored
        assert "icc_profile" not in decoded(stored).info

    def test_srgb_tagged_colours_survive_the_conversion(self):
        icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        data = encoded(Image.new("RGB", (32, 32), (250, 10, 10)), "PNG", icc_profile=icc)
        red, green, blue = decoded(reencode_upload(data).data).getpixel((5, 5))
        assert red > 240 and green < 20 and blue < 20

    def test_transparency_is_kept_in_png_and_webp(self):
        image = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
        for fmt in ("PNG", "WEBP"):
            assert decoded(reencode_upload(encoded(image, fmt)).data).mode == "RGBA"

    @pytest.mark.parametrize("mode", ["CMYK", "P", "LA", "I;16"])
    def test_jpeg_is_always_rgb_or_grey(self, mode):
        source = Image.new("RGB", (40, 40), "orange").convert(mode)
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        result = reencode_upload(encoded(source, fmt))
        assert decoded(result.data).mode in ("L", "RGB", "RGBA")

    def test_only_the_first_frame_of_an_animation_is_kept(self):
        frames = [Image.new("RGB", (50, 50), colour) for colour in ("red", "blue", "green")]
        data = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
        stored = decoded(reencode_upload(data).data)
        assert getattr(stored, "n_frames", 1) == 1
        red, green, blue = stored.getpixel((10, 10))[:3]
        assert red > 240 and green < 20 and blue < 20  # red, the first frame (lossy WebP)

    def test_a_large_original_is_scaled_to_the_stored_size(self):
        result = reencode_upload(encoded(Image.new("RGB", (5120, 2560), "white"), "JPEG"))
        assert (result.width, result.height) == (photo_rules.ORIGINAL_MAX_SIDE, 1280)

    def test_the_format_comes_from_the_bytes_not_the_name(self):
        # A PNG with any name is a PNG; the API never passes the name in.
        assert reencode_upload(png()).format == "PNG"

    @pytest.mark.parametrize(
        "data",
        [
            b"",
            b"just some text, named photo.jpg",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
            encoded(Image.new("RGB", (40, 40)), "GIF"),
            encoded(Image.new("RGB", (40, 40)), "BMP"),
            encoded(Image.new("RGB", (40, 40)), "TIFF"),
        ],
        ids=["empty", "text", "svg", "pdf", "gif", "bmp", "tiff"],
    )
    def test_anything_but_jpeg_png_webp_is_refused(self, data):
        with pytest.raises(ImageRejected, match="Not a JPEG, PNG or WebP"):
            reencode_upload(data)

    def test_truncated_image_is_refused(self):
        data = encoded(Image.effect_noise((800, 800), 50).convert("RGB"), "JPEG")
        with pytest.raises(ImageRejected, match="Not a JPEG, PNG or WebP"):
            reencode_upload(data[: len(data) // 2])

    def test_pixel_flood_is_refused_before_decoding(self, monkeypatch):
        def no_decoding(*args, **kwargs):
            raise AssertionError("the bomb was decoded")

        monkeypatch.setattr(Image.Image, "load", no_decoding)
        data = pixel_flood_png()
        assert len(data) < 10_000  # the small file of a decompression bomb
        with pytest.raises(ImageRejected, match="too many pixels"):
            reencode_upload(data)

    def test_tiny_image_is_refused(self):
        with pytest.raises(ImageRejected, match="at least 16 pixels"):
            reencode_upload(png(8, 100))

    def test_oversized_file_is_refused_without_opening_it(self):
        with pytest.raises(ImageRejected, match="at most 10 MB"):
            reencode_upload(b"\xff\xd8" + b"\x00" * photo_rules.MAX_PHOTO_BYTES)


class CheckThumbnailTest:
    def test_a_webp_within_the_largest_box_passes(self):
        data = encoded(Image.new("RGB", (480, 320), "grey"), "WEBP")
        assert check_thumbnail(data) == (480, 320)

    def test_other_formats_are_refused(self):
        with pytest.raises(ImageRejected, match="WebP"):
            check_thumbnail(png(100, 100))

    def test_larger_than_the_largest_thumbnail_is_refused(self):
        side = max(photo_rules.THUMBNAIL_SIZES.values()) + 1
        with pytest.raises(ImageRejected, match="WebP"):
            check_thumbnail(encoded(Image.new("RGB", (side, 10 + 16)), "WEBP"))

    def test_a_thin_thumbnail_of_a_long_original_passes(self):
        assert check_thumbnail(encoded(Image.new("RGB", (480, 4)), "WEBP")) == (480, 4)

    def test_truncated_webp_is_refused(self):
        data = encoded(Image.effect_noise((400, 400), 60).convert("RGB"), "WEBP")
        with pytest.raises(ImageRejected):
            check_thumbnail(data[: len(data) // 2])


def test_pillow_guard_agrees_with_the_rules():
    assert Image.MAX_IMAGE_PIXELS == photo_rules.MAX_PHOTO_PIXELS
    assert imaging.JPEG_QUALITY == 88 and imaging.WEBP_QUALITY == 85
