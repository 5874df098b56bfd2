"""The import fuzzer (hypothesis): hostile Anki collections built column by column — real SQLite
files with Anki's schemas, as genanki and Anki 2.1.50+ write them, then any column of any row
set to NULL, a number out of range, a float, text with NULs or a blob — and hostile text files.
Whatever they hold, the answer is a report or the import's own refusal (ImportRefused), and
nothing is imported on a refusal. It runs with the other tests, on SQLite and on PostgreSQL
(where NUL characters and lengths are enforced)."""

import contextlib
import functools
import itertools
import json
import sqlite3

import genanki
import pytest
import zstandard
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from cards.importing import ImportOptions, ImportRefused, deck_import, read_source
from cards.models import Card, Deck
from cards.tests.test_import_apkg import TIMESTAMP, anki_package, zipped
from cards.tests.test_import_malformed import SCHEMA_18, encrypted
from conftest import htmx, make_card

# deadline=None and no health checks on speed: CI shares two busy cores.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# What any SQLite column may hold, whatever its declared type.
HOSTILE_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("\x00\x1f:{}c0123456789<>&;#[]\"' \n\t::"),
        st.characters(blacklist_categories=["Cs"]),
    ),
    max_size=40,
)
SQL_VALUE = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, 2, 3, 4, 5, -1, 11, 18, 1.5, 2**31, 9_000_000_000_000_000, "x" * 600]),
    st.floats(allow_nan=False),
    HOSTILE_TEXT,
    st.binary(max_size=20),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "flds", "type", "1", "x"]), children, max_size=3)
    ),
    max_leaves=10,
)
LEGACY_COLUMNS = {
    "col": ["ver", "models", "decks"],
    "notes": ["id", "mid", "tags", "flds"],
    "cards": ["id", "nid", "did", "ord", "queue"],
    "revlog": ["id", "cid", "ease", "time", "type"],
}
MODERN_COLUMNS = {
    "col": ["ver"],
    "notetypes": ["id", "config"],
    "fields": ["ntid", "ord", "name"],
    "decks": ["id", "name"],
    "notes": ["id", "mid", "tags", "flds"],
    "cards": ["id", "nid", "did", "ord", "queue"],
    "revlog": ["id", "cid", "ease", "time", "type"],
}


@functools.cache
def genanki_collection() -> bytes:
    """genanki's collection of the apkg tests (schema 11), with a review log."""
    db = sqlite3.connect(":memory:")
    genanki.Package(anki_package().decks).write_to_db(db.cursor(), TIMESTAMP, itertools.count(1))
    db.execute(
        "INSERT INTO revlog SELECT 1700000000000 + id, id, -1, 3, 0, 0, 0, 8000, 1 FROM cards"
    )
    db.commit()
    return db.serialize()


@functools.cache
def modern_collection() -> bytes:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA_18)
    return db.serialize()


def edits(columns: dict[str, list[str]]) -> st.SearchStrategy:
    """A few changes: one column of one row (or of every row) set to a hostile value, or a
    table emptied."""
    cells = st.sampled_from(
        [(table, column) for table, names in columns.items() for column in names]
    )
    change = st.tuples(cells, st.one_of(st.none(), st.integers(0, 5)), SQL_VALUE)
    emptied = st.sampled_from(sorted(columns)).map(lambda table: ((table, None), None, None))
    # An emptied table now and then: in most examples it would hide every other change.
    return st.lists(st.one_of(*[change] * 7, emptied), max_size=6)


def edited(collection: bytes, changes: list, json_changes: dict) -> bytes:
    db = sqlite3.connect(":memory:")
    db.deserialize(collection)
    for (table, column), row, value in changes:
        if column is None:
            statement, params = f"DELETE FROM {table}", ()
        elif row is None:
            statement, params = f"UPDATE {table} SET {column} = ?", (value,)
        else:
            where = f"rowid = (SELECT rowid FROM {table} ORDER BY rowid LIMIT 1 OFFSET ?)"
            statement, params = f"UPDATE {table} SET {column} = ? WHERE {where}", (value, row)
        # A value the column cannot hold (a second primary key, text for a rowid): not this one.
        with contextlib.suppress(sqlite3.Error):
            db.execute(statement, params)
    for column, value in json_changes.items():
        db.execute(f"UPDATE col SET {column} = ?", (value,))
    db.commit()
    return db.serialize()


@st.composite
def hostile_packages(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        json_changes = draw(
            st.dictionaries(
                st.sampled_from(["models", "decks"]),
                JSON_VALUE.map(json.dumps) | HOSTILE_TEXT,
                max_size=1,
            )
        )
        collection = edited(genanki_collection(), draw(edits(LEGACY_COLUMNS)), json_changes)
        name = draw(st.sampled_from(["collection.anki2", "collection.anki21"]))
    else:
        collection = edited(modern_collection(), draw(edits(MODERN_COLUMNS)), {})
        name = "collection.anki21b"
        if draw(st.booleans()):
            collection = zstandard.ZstdCompressor().compress(collection)
    if draw(st.integers(0, 9)) == 0:
        return collection  # a bare collection file
    package = zipped({name: collection, "media": "{}", "0": b"ID3"})
    return encrypted(package) if draw(st.integers(0, 9)) == 0 else package


HEADERS = st.lists(
    st.tuples(
        st.sampled_from(
            ["separator", "html", "tags", "columns", "deck", "tags column", "deck column",
             "notetype column", "guid column"]
        ),
        st.one_of(HOSTILE_TEXT, st.sampled_from(["Tab", "Comma", "1", "2", "3", "²", "9" * 5000])),
    ),
    max_size=3,
)  # fmt: skip
CELL = st.one_of(HOSTILE_TEXT, st.sampled_from(['"', '""', '"a;b"', "привет", "x" * 3000]))
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251", "cp1252"])


@st.composite
def hostile_texts(draw: st.DrawFn) -> bytes:
    """A separated text file, with Anki's headers, its lines in one or several encodings."""
    separator = draw(st.sampled_from(["\t", ";", ",", "|", ":"]))
    lines = [f"#{key}:{value}" for key, value in draw(HEADERS)]
    rows = draw(st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=8))
    lines += [separator.join(row) for row in rows]
    if draw(st.booleans()):
        encoding = draw(ENCODINGS)
        return "\n".join(lines).encode(encoding, errors="replace")
    # Each line in its own 8-bit or UTF-8 encoding: a file put together from several.
    encodings = draw(
        st.lists(
            st.sampled_from(["utf-8", "cp1251", "cp1252"]), min_size=len(lines), max_size=len(lines)
        )
    )
    return b"\n".join(
        line.encode(codec, errors="replace") for line, codec in zip(lines, encodings, strict=True)
    )


OPTIONS = st.builds(
    ImportOptions,
    mapping=st.just({})  # the file's own
    | st.fixed_dictionaries(
        {
            name: st.one_of(st.none(), st.integers(0, 8))
            for name in ("front", "back", "example", "notes", "tags")
        }
    ),
    swap=st.booleans(),
    update_duplicates=st.booleans(),
    keep_scheduling=st.booleans(),
    subdecks_as_decks=st.booleans(),
)


class Rollback(Exception):
    """Undoes one example's import, so that each example starts from the same deck."""


def import_or_refuse(deck: Deck, data: bytes, options: ImportOptions, encoding: str = "") -> None:
    """Read and import `data`: a report, or ImportRefused with nothing imported."""
    try:
        source = read_source(data, encoding=encoding)
    except ImportRefused as refused:
        event("refused")
        assert str(refused)
        assert Card.objects.count() == 1  # the deck's own card only
        return
    options.mapping = options.mapping or source.mapping
    with contextlib.suppress(Rollback), transaction.atomic():
        report = deck_import(deck=deck, source=source, options=options)
        event("imported" if report.added or report.updated else "reported")
        assert report.added + report.updated + len(report.skipped) >= len(source.rows)
        raise Rollback


@pytest.fixture
def deck(alice):
    deck = Deck.objects.create(owner=alice, name="Fuzz")
    make_card(deck=deck, front="comer", back="to eat")  # a duplicate to skip or update
    return deck


@FUZZ
@given(data=hostile_packages(), options=OPTIONS)
def test_a_hostile_anki_collection_is_reported_or_refused(deck, data, options):
    import_or_refuse(deck, data, options)


@FUZZ
@given(
    data=hostile_texts(),
    options=OPTIONS,
    encoding=st.sampled_from(["", "utf-8", "cp1251", "cp1252"]),
)
@example(data="a\x00b\tc\n".encode("utf-16"), options=ImportOptions(), encoding="")
@example(data=b"#tags column:" + b"9" * 5000 + b"\na\tb\n", options=ImportOptions(), encoding="")
def test_a_hostile_text_file_is_reported_or_refused(deck, data, options, encoding):
    import_or_refuse(deck, data, options, encoding)


SCREEN_FORMS = st.fixed_dictionaries(
    {
        "keep_scheduling": st.sampled_from(["", "true"]),
        "subdecks": st.sampled_from(["tags", "decks"]),
        "duplicates": st.sampled_from(["skip", "update"]),
        "encoding": st.sampled_from(["", "utf-8", "cp1251", "cp1252"]),
    },
    optional={
        "mapped": st.just("true"),
        "front": st.sampled_from(["", "0", "1", "7", "999"]),
        "back": st.sampled_from(["", "0", "1", "2", "999"]),
    },
)


@settings(FUZZ, max_examples=30)
@given(data=st.one_of(hostile_packages(), hostile_texts()), form=SCREEN_FORMS)
def test_the_import_screens_answer_hostile_files_with_a_page(as_alice, deck, data, form):
    for url in (f"/decks/{deck.pk}/import/preview/", f"/decks/{deck.pk}/import/"):
        form["file"] = SimpleUploadedFile("cards.apkg", data)
        # The import starts a job and shows it (a redirect to the import screen, followed).
        response = as_alice.post(url, form, follow=True, **htmx())
        assert response.status_code == 200
