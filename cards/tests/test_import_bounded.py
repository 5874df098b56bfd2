"""Anki packages are read from a temporary file with bounded memory, whatever they unpack to,
and in the forms Anki itself writes them (WAL mode, the `unicase` collation)."""

import sqlite3
import tracemalloc

import pytest
import zstandard

from cards.importing import ImportRefused, read_source
from cards.tests.test_import_apkg import (
    EXPECTED,
    cards_in,
    collection_of,
    edit,
    imported,
    written_by_genanki,
    zipped,
)

MB = 1_000_000


def in_wal_mode(collection: bytes) -> bytes:
    """The collection as Anki leaves it: header bytes 18 and 19 say WAL."""
    assert collection[18:20] == b"\x01\x01"
    return collection[:18] + b"\x02\x02" + collection[20:]


def test_a_collection_in_wal_mode_is_read(tmp_path, deck):
    collection = in_wal_mode(collection_of(written_by_genanki(tmp_path)))
    compressed = zstandard.ZstdCompressor().compress(collection)
    imported(deck, zipped({"collection.anki21b": compressed}))
    assert cards_in(deck) == EXPECTED


def test_a_collection_with_anki_s_unicase_collation_is_read(tmp_path, deck):
    db = sqlite3.connect(":memory:")
    db.deserialize(collection_of(written_by_genanki(tmp_path)))
    db.create_collation("unicase", lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
    # As Anki 2.1.50+ declares its tags table: a unicase column with an index on it.
    db.execute("CREATE TABLE tags (tag TEXT NOT NULL PRIMARY KEY COLLATE unicase)")
    db.executemany("INSERT INTO tags VALUES (?)", [("verb",), ("Food",), ("food2",)])
    db.commit()
    imported(deck, zipped({"collection.anki21": db.serialize()}))
    assert cards_in(deck) == EXPECTED


def padded(collection: bytes, size: int) -> bytes:
    """A valid collection grown to about `size` bytes by a table nobody reads."""
    return edit(
        collection,
        "CREATE TABLE padding (data BLOB)",
        ("INSERT INTO padding VALUES (zeroblob(?))", (size,)),
    )


def test_a_package_that_unpacks_large_is_never_held_in_memory(tmp_path, settings, deck):
    settings.IMPORT_MAX_BYTES = 1 * MB  # a package may unpack to 20 MB
    collection = padded(collection_of(written_by_genanki(tmp_path)), 18 * MB)
    package = zipped({"collection.anki21b": zstandard.ZstdCompressor().compress(collection)})
    del collection
    assert len(package) < 100_000

    tracemalloc.start()
    try:
        source = read_source(package)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(source.rows) == len(EXPECTED)
    assert peak < 4 * MB


def test_a_zstd_frame_asking_for_a_huge_window_is_refused(tmp_path):
    # Decompressing it would hold a 128 MB window however small the package.
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
    collection = collection_of(written_by_genanki(tmp_path))
    # Streamed, the frame does not declare its size, so its window is the full 128 MB.
    streaming = zstandard.ZstdCompressor(compression_params=params).compressobj()
    compressed = streaming.compress(collection) + streaming.flush()
    assert zstandard.get_frame_parameters(compressed).window_size == 1 << 27
    with pytest.raises(ImportRefused, match="not a valid Anki package"):
        read_source(zipped({"collection.anki21b": compressed}))
