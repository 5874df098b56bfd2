"""Reading an Anki package's entries within bounds: the bounded copy and zstd decompression,
the media list and the media files (the current format's protobuf, or legacy JSON).

The current format (Anki 2.1.50+: `meta` says version 3) zstd-compresses the collection, the
media list and every media file; the list is a protobuf `MediaEntries` whose nth entry names
the zip's file "n". Older packages hold plain files and a JSON object {"n": name}. Which one a
package is, is told by its collection: compressed or not.
"""

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import IO

import zstandard
from django.conf import settings
from django.utils.translation import gettext as _

from cards.importing.formats import ImportRefused, without_nul
from cards.media.files import MediaRefused, too_large_media

IMAGE = re.compile(r"""<img[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
# The package's media list decompressed (names and hashes: 100,000 of them are a few MB).
MAX_MEDIA_LIST = 16 << 20
CHUNK = 1 << 20
# zstd's decompressor holds a window as large as the frame asks for (up to 128 MB by default):
# 8 MB is what zstd's levels up to 19 use, Anki's included.
MAX_ZSTD_WINDOW = 1 << 23
# Zip entries that are not media files.
NOT_MEDIA = {"collection.anki21b", "collection.anki21", "collection.anki2", "media", "meta"}


def not_a_package() -> ImportRefused:
    return ImportRefused(_("This file is not a valid Anki package (.apkg)."))


class TooLarge(ImportRefused):
    """More bytes unpacked than the limit allows."""


def too_large_unpacked() -> ImportRefused:
    return TooLarge(_("The package unpacks to too many or too large files."))


def copy_bounded(source: IO[bytes], out: IO[bytes], limit: int) -> None:
    """Copy in chunks; more than `limit` bytes is refused as soon as it is read."""
    written = 0
    while chunk := source.read(CHUNK):
        written += len(chunk)
        if written > limit:
            raise too_large_unpacked()
        out.write(chunk)


def unzstd(compressed: IO[bytes], out: IO[bytes], limit: int) -> None:
    try:
        decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_ZSTD_WINDOW)
        with decompressor.stream_reader(compressed) as reader:
            copy_bounded(reader, out, limit)
    except zstandard.ZstdError:
        raise not_a_package() from None


class PackageMedia:
    """The package's media files by their names in the notes, read one at a time (each at most
    MEDIA_UPLOAD_MAX_BYTES) when a phrase takes one."""

    def __init__(self, archive: zipfile.ZipFile, entries: dict[str, str], compressed: bool):
        self.archive, self.entries, self.compressed = archive, entries, compressed

    def read(self, name: str) -> bytes | None:
        """The file's content, None when the package has no such file; MediaRefused when it
        is larger than an upload may be, or cannot be read."""
        entry = self.entries.get(name)
        if entry is None:
            return None
        out = io.BytesIO()
        limit = settings.MEDIA_UPLOAD_MAX_BYTES
        try:
            with self.archive.open(entry) as member:
                if self.compressed:
                    unzstd(member, out, limit)
                else:
                    copy_bounded(member, out, limit)
        except TooLarge:
            raise MediaRefused(too_large_media()) from None
        except (ImportRefused, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
            raise MediaRefused(_("The file is damaged.")) from None
        return out.getvalue()


def read_media_list(archive: zipfile.ZipFile, names: set[str], compressed: bool) -> PackageMedia:
    """The media list: in the current format (a zstd-compressed collection) a zstd-compressed
    protobuf MediaEntries whose nth entry is the zip's file "n" (itself compressed); before it,
    JSON mapping each zip file's name to the media file's. An unreadable list is no media."""
    entries: dict[str, str] = {}
    if "media" not in names:
        return PackageMedia(archive, entries, compressed)
    out = io.BytesIO()
    try:
        with archive.open("media") as member:
            if compressed:
                unzstd(member, out, MAX_MEDIA_LIST)
                for index, entry in enumerate(_protobuf_messages(out.getvalue(), 1)):
                    name = _protobuf_string(entry, 1)
                    if name and str(index) in names:
                        entries.setdefault(name, str(index))
            else:
                copy_bounded(member, out, MAX_MEDIA_LIST)
                listed = json.loads(out.getvalue())
                if isinstance(listed, dict):
                    for entry, name in listed.items():
                        if isinstance(name, str) and entry in names and entry not in NOT_MEDIA:
                            entries.setdefault(without_nul(name), entry)
    except (ImportRefused, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        entries = {}
    return PackageMedia(archive, entries, compressed)


def protobuf_varint(message: bytes, wanted: int) -> int:
    """The varint field `wanted` of a protobuf message (NotetypeConfig.kind: 1 is cloze)."""
    return next((v for n, v in _protobuf_fields(message) if n == wanted and isinstance(v, int)), 0)


def _protobuf_messages(message: bytes, wanted: int) -> Iterator[bytes]:
    """Each length-delimited field `wanted` (a repeated message) of a protobuf message."""
    return (v for n, v in _protobuf_fields(message) if n == wanted and isinstance(v, bytes))


def _protobuf_string(message: bytes, wanted: int) -> str:
    value = next(_protobuf_messages(message, wanted), b"")
    return without_nul(value.decode("utf-8", errors="replace"))


def _protobuf_fields(message: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: varints as ints, length-delimited fields
    as bytes; it stops at what it cannot read (the file is untrusted)."""
    position = 0

    def varint() -> int:
        nonlocal position
        value, shift = 0, 0
        while position < len(message) and shift < 64:
            byte = message[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
        raise ValueError("truncated varint")

    try:
        while position < len(message):
            key = varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                yield number, varint()
            elif wire == 2:
                length = varint()
                yield number, message[position : position + length]
                position += length
            elif wire == 1:
                position += 8
            elif wire == 5:
                position += 4
            else:
                return
    except ValueError:
        return
