"""Pictures are checked by content, re-encoded with Pillow, turned upright, shrunk to 1,600 px at
most and stored without EXIF, on the file system and on S3 alike."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cards.media.files import MediaRefused
from cards.media.images import MAX_SIDE, reencode, store_image

ORIENTATION = 0x0112
GPS_INFO = 0x8825
ROTATED_90 = 6  # the camera was turned: the picture must be turned clockwise to stand up


def picture(fmt: str, size=(800, 600), mode="RGB", color=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def phone_photo(width=5000, height=3000) -> bytes:
    """A camera's JPEG: held sideways (EXIF orientation 6) and telling where it was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90
    exif[GPS_INFO] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    image = Image.new("RGB", (width, height), (30, 90, 200))
    image.paste((250, 250, 0), (0, 0, width // 2, height // 2))  # the top left quarter
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def upload(data: bytes, name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_it_stores_a_5000_px_photo_at_1600_px_upright_and_without_exif(db, media_storage, alice):
    source = opened(phone_photo())
    assert source.getexif()[ORIENTATION] == ROTATED_90 and GPS_INFO in source.getexif()

    name = store_image(upload(phone_photo()), owner_id=alice.pk)

    with media_storage.open(name) as file:
        stored = opened(file.read())
    assert stored.format == "JPEG"
    assert stored.size == (960, 1600)  # turned upright: now taller than wide
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info and "xmp" not in stored.info
    # Turned clockwise, the yellow top-left quarter is now the top right one.
    assert stored.getpixel((900, 50))[2] < 100 and stored.getpixel((50, 50))[2] > 150


def test_it_stores_each_picture_under_a_new_random_name_of_its_owner(db, media_storage, alice):
    first = store_image(upload(picture("PNG")), owner_id=alice.pk)
    second = store_image(upload(picture("PNG")), owner_id=alice.pk)

    assert first.startswith(f"users/{alice.pk}/images/") and second.startswith("users/")
    assert first != second
    assert len(first.rsplit("/", 1)[1]) >= 22 + len(".jpg")


def test_a_small_picture_keeps_its_size():
    assert opened(reencode(picture("JPEG", (300, 200))).content).size == (300, 200)


def test_a_wide_picture_is_at_most_1600_px_wide():
    assert opened(reencode(picture("PNG", (4000, 1000))).content).size == (MAX_SIDE, 400)


def test_a_transparent_png_stays_a_png_with_its_alpha():
    result = reencode(picture("PNG", mode="RGBA", color=(0, 0, 0, 0)))

    assert result.extension == "png"
    assert opened(result.content).mode == "RGBA"
    assert opened(result.content).getpixel((0, 0))[3] == 0


def test_a_gif_drawing_becomes_a_png_and_an_animation_keeps_its_first_frame():
    frames = [Image.new("P", (64, 64), index) for index in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)

    result = reencode(out.getvalue())

    assert result.extension == "png"
    assert getattr(opened(result.content), "n_frames", 1) == 1


def test_an_opaque_webp_photo_becomes_a_jpeg():
    result = reencode(picture("WEBP"))

    assert result.extension == "jpg"
    assert opened(result.content).format == "JPEG"


def test_the_format_is_read_from_the_content_not_the_name(db, alice):
    name = store_image(upload(picture("PNG"), name="drawing.gif"), owner_id=alice.pk)

    assert name.endswith(".jpg")


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a but not really a picture",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        picture("TIFF"),
        picture("BMP"),
        phone_photo(800, 600)[:2000],  # cut off in the middle
        b"",
    ],
    ids=["text", "svg", "tiff", "bmp", "truncated", "empty"],
)
def test_anything_but_a_whole_jpeg_png_webp_or_gif_is_refused_clearly(data):
    with pytest.raises(MediaRefused, match="not a JPEG, PNG, WebP or GIF picture"):
        reencode(data)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width × height pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize("side", [8_000, 20_000], ids=["over our limit", "over pillow's"])
def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(side):
    with pytest.raises(MediaRefused, match="too large: at most 50 megapixels"):
        reencode(png_header_only(side, side))


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(db, alice, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1000

    with pytest.raises(MediaRefused, match="larger than 1000"):
        store_image(upload(phone_photo(800, 600)), owner_id=alice.pk)
