"""Anki packages for the benches, generated: a large one with a review history, and a bomb.

Not a test module. Both are schema-11 collections written with genanki and grown with SQL,
zstd-compressed as Anki 2.1.50+ writes `collection.anki21b`.
"""

import io
import itertools
import random
import sqlite3
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


def _package(path: Path) -> bytes:
    """The collection file zstd-compressed (streamed: a bomb never is in memory) and zipped."""
    compressed = io.BytesIO()
    with path.open("rb") as collection:
        zstandard.ZstdCompressor().copy_stream(collection, compressed)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki21b", compressed.getvalue())
        archive.writestr("media", zstandard.ZstdCompressor().compress(b""))
    return out.getvalue()


def history_package(notes: int, reviews_per_note: int = len(REVIEW_DAYS)) -> bytes:
    """`notes` Basic notes, each with one card and `reviews_per_note` reviews."""
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "collection.anki2"
        db = _collection(path)
        mid = genanki.BASIC_MODEL.model_id
        db.executemany(
            "INSERT INTO notes VALUES (?, ?, ?, 0, -1, '', ?, ?, 0, 0, '')",
            (
                (n + 1, f"g{n}", mid, f"palabra {n}\x1fword {n}", f"palabra {n}")
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
        return _package(path)


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
