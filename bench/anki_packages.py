"""Anki packages for the benches, generated: a large one with a review history (and media),
and a bomb.

Not a test module. Both are schema-11 collections written with genanki and grown with SQL,
zstd-compressed as Anki 2.1.50+ writes `collection.anki21b`, with the media list and files
as that format has them (a zstd-compressed protobuf list; each file zstd-compressed, named by
its place in the list).
"""

import hashlib
import io
import itertools
import random
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path

import genanki
import zstandard

DECK_ID = 2059400110
START_MS = 1_700_000_000_000
REVIEW_DAYS = (0, 1, 4, 12)  # each card's reviews, days after its first


def _collection(path: Path) -> sqlite3.Connection:
    deck = genanki.Deck(DECK_ID, "Bench")
    deck.add_note(genanki.Note(genanki.BASIC_MODEL, ["seed", "seed"]))
    db = sqlite3.connect(path)
    genanki.Package(deck).write_to_db(db.cursor(), 1_700_000_000.0, itertools.count(1))
    db.execute("DELETE FROM notes")
    db.execute("DELETE FROM cards")
    return db


def _package(path: Path, media: dict[str, bytes] | None = None) -> bytes:
    """The collection file zstd-compressed (streamed: a bomb never is in memory) and zipped,
    with `media` (name → content) as the current format holds it."""
    compressed = io.BytesIO()
    with path.open("rb") as collection:
        zstandard.ZstdCompressor().copy_stream(collection, compressed)
    out = io.BytesIO()
    entries = b""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("collection.anki21b", compressed.getvalue())
        for index, (name, content) in enumerate((media or {}).items()):
            archive.writestr(str(index), zstandard.ZstdCompressor().compress(content))
            entry = _field(1, name.encode()) + _varint(2 << 3) + _varint(len(content))
            entries += _field(1, entry + _field(3, hashlib.sha1(content).digest()))
        archive.writestr("media", zstandard.ZstdCompressor().compress(entries))
    return out.getvalue()


def _varint(value: int) -> bytes:
    out = b""
    while value > 0x7F:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def _field(number: int, content: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(content)) + content


def _media_files(count: int) -> dict[str, bytes]:
    """`count` small files, half pictures (PNG) and half sounds (MP3, a second of tone), each
    a little different (ffmpeg makes one of each; the rest differ in a trailing byte)."""
    if not count:
        return {}
    with tempfile.TemporaryDirectory() as directory:
        png, mp3 = Path(directory) / "p.png", Path(directory) / "s.mp3"
        ffmpeg = [shutil.which("ffmpeg") or "ffmpeg", "-hide_banner", "-loglevel", "error"]
        subprocess.run(
            [*ffmpeg, "-f", "lavfi", "-i", "color=c=teal:s=64x48", "-frames:v", "1", png],
            check=True,
        )
        subprocess.run(
            [*ffmpeg, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-b:a", "32k", mp3],
            check=True,
        )
        picture, sound = png.read_bytes(), mp3.read_bytes()
    files = {}
    for n in range(count):
        if n % 2:
            files[f"sound{n}.mp3"] = sound + bytes([n % 256])
        else:
            files[f"picture{n}.png"] = picture + bytes([n % 256])
    return files


def history_package(
    notes: int, reviews_per_note: int = len(REVIEW_DAYS), media_files: int = 0
) -> bytes:
    """`notes` Basic notes, each with one card and `reviews_per_note` reviews; the first
    `media_files` notes refer each to a file of their own, a picture or a sound."""
    rng = random.Random(42)
    media = _media_files(media_files)
    names = list(media)

    def back(n: int) -> str:
        if n >= len(names):
            return f"word {n}"
        name = names[n]
        return (
            f'word {n} <img src="{name}">' if name.endswith(".png") else f"word {n} [sound:{name}]"
        )

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "collection.anki2"
        db = _collection(path)
        mid = genanki.BASIC_MODEL.model_id
        db.executemany(
            "INSERT INTO notes VALUES (?, ?, ?, 0, -1, '', ?, ?, 0, 0, '')",
            (
                (n + 1, f"g{n}", mid, f"palabra {n}\x1f{back(n)}", f"palabra {n}")
                for n in range(notes)
            ),
        )
        db.executemany(
            "INSERT INTO cards VALUES (?, ?, ?, 0, 0, -1, 2, 2, 0, 1, 2500, 4, 0, 0, 0, 0, 0, '')",
            ((n + 1, n + 1, DECK_ID) for n in range(notes)),
        )
        db.executemany(
            "INSERT INTO revlog VALUES (?, ?, -1, ?, 1, 0, 2500, ?, 1)",
            (
                (START_MS + (day * 86_400 + n) * 1000, n + 1, rng.choice((1, 3, 3, 3, 4)), 5000)
                for day in REVIEW_DAYS[:reviews_per_note]
                for n in range(notes)
            ),
        )
        db.commit()
        db.close()
        return _package(path, media)


def bomb_package(unpacked_bytes: int) -> bytes:
    """A valid little collection padded with zeros to `unpacked_bytes`: a few KB compressed."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "collection.anki2"
        db = _collection(path)
        mid = genanki.BASIC_MODEL.model_id
        db.execute(
            "INSERT INTO notes VALUES (1, 'g', ?, 0, -1, '', 'uno\x1fone', 'uno', 0, 0, '')", [mid]
        )
        db.execute(
            "INSERT INTO cards VALUES (1, 1, ?, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '')",
            [DECK_ID],
        )
        db.execute("CREATE TABLE padding (data BLOB)")
        chunk = 1_000_000
        db.executemany(
            "INSERT INTO padding VALUES (zeroblob(?))", [(chunk,)] * (unpacked_bytes // chunk)
        )
        db.commit()
        db.close()
        return _package(path)
