"""Pictures: what a learner uploads is checked by its content (not its name), decoded with
Pillow and written anew — turned as its EXIF orientation says, at most MAX_SIDE pixels on its
longer side, with no EXIF or other metadata (a phone's photo carries where it was taken).

Output formats: a picture with transparency, or a drawing in a palette (GIF, palette PNG), is
stored as PNG, which keeps its edges and its alpha; everything else (photographs) as JPEG at
quality 85, what every Telegram client shows and the smallest for photos. An animated GIF or
WebP keeps its first frame. The colour profile (ICC) stays: it holds no personal data, and
without it a wide-gamut photo's colours would shift.
"""

import io
from dataclasses import dataclass

from django.core.files import File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from cards.media.files import MediaRefused, owner_prefix, read_upload, store

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_SIDE = 1600
# Decoded pixels we accept (a 48-megapixel phone photo fits): a picture larger than this would
# take hundreds of MB to decode. Pillow refuses far larger ones itself (DecompressionBombError).
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85


@dataclass(frozen=True)
class Picture:
    content: bytes
    extension: str  # "jpg" or "png"


def reencode(data: bytes) -> Picture:
    """The picture in `data`, written anew; MediaRefused for anything else."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise MediaRefused(too_many_pixels())
            # JPEG decodes at a reduced scale when the picture is far larger than we keep.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
            upright = ImageOps.exif_transpose(image)
            icc_profile = image.info.get("icc_profile")
            return _write(upright, icc_profile)
    except Image.DecompressionBombError:
        raise MediaRefused(too_many_pixels()) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        # Not an image of ours, or a damaged one (truncated, bad chunks).
        raise MediaRefused(_("This is not a JPEG, PNG, WebP or GIF picture we can read.")) from None


def _write(image: Image.Image, icc_profile: bytes | None) -> Picture:
    transparent = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    as_png = transparent or image.mode in ("P", "1")
    image = image.convert("RGBA" if transparent else "RGB")
    image.info.clear()  # what Pillow would write back on save (EXIF, XMP, comments)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    if as_png:
        image.save(out, "PNG", optimize=True, **options)
        return Picture(out.getvalue(), "png")
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **options)
    return Picture(out.getvalue(), "jpg")


def too_many_pixels() -> str:
    return _("This picture is too large: at most %(megapixels)s megapixels.") % {
        "megapixels": MAX_PIXELS // 1_000_000
    }


def store_image(upload: File, *, owner_id: int) -> str:
    """Check, re-encode and store an uploaded picture; the stored name."""
    picture = reencode(read_upload(upload))
    return store(owner_prefix(owner_id, "images"), picture.extension, picture.content)
