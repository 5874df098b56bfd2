"""Importing Anki packages of every generation, built the way genanki and Anki write them."""

import io
import itertools
import sqlite3
import zipfile
from datetime import UTC, datetime

import genanki
import pytest
import zstandard

from cards.importing import ImportOptions, ImportRefused, deck_import, read_source
from cards.importing import apkg as apkg_module
from cards.models import Deck
from cards.tests.anki_schema import SCHEMA_18_TABLES
from conftest import make_card

TIMESTAMP = 1_700_000_000.0


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])


def anki_package() -> genanki.Package:
    top = genanki.Deck(2059400110, "Spanish")
    food = genanki.Deck(2059400111, "Spanish::Food")
    top.add_note(genanki.Note(genanki.BASIC_MODEL, ["comer", "to <b>eat</b>"], tags=["verb"]))
    top.add_note(genanki.Note(genanki.BASIC_AND_REVERSED_CARD_MODEL, ["hablar", "to speak"]))
    top.add_note(
        genanki.Note(genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, ["vivir", "to live", "y"])
    )
    cloze = genanki.Note(
        genanki.CLOZE_MODEL, ["{{c1::Madrid}} is the capital of {{c2::Spain::country}}", "Geo"]
    )
    top.add_note(cloze)
    food.add_note(genanki.Note(genanki.BASIC_MODEL, ["pan", "bread<br>loaf"], tags=["food"]))
    return genanki.Package([top, food])


def written_by_genanki(tmp_path, media=()) -> bytes:
    package = anki_package()
    for index, content in enumerate(media):
        path = tmp_path / f"sound{index}.mp3"
        path.write_bytes(content)
        package.media_files.append(str(path))
    path = tmp_path / "deck.apkg"
    package.write_to_file(str(path), timestamp=TIMESTAMP)
    return path.read_bytes()


def collection_of(package_bytes: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(package_bytes)).read("collection.anki2")


def zipped(entries: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def dummy_collection() -> bytes:
    """What Anki 2.1.50+ puts in collection.anki2 for old versions: an "update Anki" note."""
    old = genanki.Deck(1, "Default")
    old.add_note(genanki.Note(genanki.BASIC_MODEL, ["Please update to the latest Anki", "x"]))
    db = sqlite3.connect(":memory:")
    genanki.Package(old).write_to_db(db.cursor(), TIMESTAMP, itertools.count(1))
    db.commit()
    return db.serialize()


def edit(collection: bytes, *statements) -> bytes:
    db = sqlite3.connect(":memory:")
    db.deserialize(collection)
    for statement in statements:
        db.execute(*statement) if isinstance(statement, tuple) else db.execute(statement)
    db.commit()
    return db.serialize()


def imported(deck, data, **options):
    source = read_source(data)
    options.setdefault("mapping", source.mapping)
    return source, deck_import(deck=deck, source=source, options=ImportOptions(**options))


def cards_in(deck):
    return sorted(deck.phrases.values_list("front", "back", "notes", "tags"))


EXPECTED = [
    ("Madrid is the capital of [country]", "Spain", "Geo", ""),
    ("[…] is the capital of Spain", "Madrid", "Geo", ""),
    ("comer", "to eat", "", "verb"),
    ("hablar", "to speak", "", ""),
    ("pan", "bread\nloaf", "", "food Food"),
    ("vivir", "to live", "", ""),
]


def test_it_imports_a_package_written_by_genanki(tmp_path, deck):
    source, report = imported(deck, written_by_genanki(tmp_path, media=[b"ID3", b"ID3"]))
    assert (source.format, source.deck_name, source.media_count) == ("apkg", "Spanish", 2)
    # The sounds are in the package, but no note refers to them.
    assert (report.added, report.skipped, report.media_count) == (6, [], 0)
    assert cards_in(deck) == EXPECTED


def test_it_prefers_collection_anki21_over_the_dummy_anki2(tmp_path, deck):
    collection = collection_of(written_by_genanki(tmp_path))
    package = zipped(
        {"collection.anki2": dummy_collection(), "collection.anki21": collection, "media": "{}"}
    )
    imported(deck, package)
    assert cards_in(deck) == EXPECTED


def test_it_reads_a_modern_zstd_compressed_anki21b_package(tmp_path, deck):
    collection = zstandard.ZstdCompressor().compress(collection_of(written_by_genanki(tmp_path)))
    package = zipped(
        {
            "collection.anki2": dummy_collection(),
            "collection.anki21b": collection,
            "media": zstandard.ZstdCompressor().compress(b""),
            "meta": b"\x08\x03",
        }
    )
    source, report = imported(deck, package)
    assert report.media_count == 0
    assert cards_in(deck) == EXPECTED


def test_it_reads_the_schema_18_tables_of_anki_2_1_50_and_later(deck):
    db = sqlite3.connect(":memory:")
    db.executescript(
        SCHEMA_18_TABLES
        + """
        INSERT INTO notetypes VALUES (10, 'Basic', x'1a0474657374'), (20, 'Cloze', x'0801');
        INSERT INTO fields VALUES (10, 0, 'Front'), (10, 1, 'Back'), (20, 0, 'Text'),
                                  (20, 1, 'Back Extra');
        INSERT INTO decks VALUES (1, 'Default'), (5, 'Words'), (6, 'Words' || char(31) || 'Sub');
        INSERT INTO notes VALUES (100, 10, ' a b ', 'uno' || char(31) || 'one'),
                                 (101, 20, '', '{{c1::dos}} is two' || char(31) || ''),
                                 (102, 10, '', 'tres' || char(31) || 'three');
        INSERT INTO cards (id, nid, did, ord, queue)
            VALUES (1000, 100, 5, 0, 0), (1001, 101, 5, 0, -1), (1002, 102, 6, 0, 2);
        """
    )
    source, report = imported(deck, zipped({"collection.anki21b": db.serialize()}))
    assert source.deck_name == "Words"
    assert cards_in(deck) == [
        ("[…] is two", "dos", "", ""),
        ("tres", "three", "", "Sub"),
        ("uno", "one", "", "a b"),
    ]
    assert deck.cards.get(phrase__front="[…] is two").suspended


def test_subdecks_can_become_decks(tmp_path, deck):
    source, report = imported(deck, written_by_genanki(tmp_path), subdecks_as_decks=True)
    assert report.decks_created == ["Spanish::Food"]
    food = Deck.objects.get(owner=deck.owner, name="Spanish::Food")
    assert list(food.phrases.values_list("front", flat=True)) == ["pan"]
    # Five notes stay; "hablar" and "vivir" have a reverse card: seven cards.
    assert deck.cards.count() == 7


def test_keeping_the_scheduling_replays_the_review_history(tmp_path, deck, alice):
    collection = collection_of(written_by_genanki(tmp_path))
    db = sqlite3.connect(":memory:")
    db.deserialize(collection)
    (cid,) = db.execute(
        "SELECT c.id FROM cards c JOIN notes n ON n.id = c.nid WHERE n.sfld = 'comer'"
    ).fetchone()
    reviews = [  # (ms, ease, duration, type): learn, learn, review, a manual reschedule, lapse
        (1_700_000_000_000, 3, 8000, 0),
        (1_700_000_700_000, 3, 5000, 0),
        (1_700_300_000_000, 4, 4000, 1),
        (1_700_400_000_000, 0, 0, 4),
        (1_701_000_000_000, 1, 9000, 1),
    ]
    for ms, ease, duration, kind in reviews:
        db.execute(
            "INSERT INTO revlog VALUES (?, ?, -1, ?, 0, 0, 0, ?, ?)",
            (ms, cid, ease, duration, kind),
        )
    db.commit()
    package = zipped({"collection.anki2": db.serialize()})
    source, report = imported(deck, package, keep_scheduling=True)
    assert source.has_history
    assert report.reviews == 4
    card = deck.cards.get(phrase__front="comer")
    expected = make_card(deck=Deck.objects.create(owner=alice, name="x"), front="e")
    for ms, ease, duration, _kind in [r for r in reviews if r[1]]:
        expected.review(
            ease, learner=alice, now=datetime.fromtimestamp(ms / 1000, UTC), duration_ms=duration
        )
    expected.refresh_from_db()
    fields = ("state", "step", "stability", "difficulty", "due", "last_review")
    assert [getattr(card, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert list(card.reviews.order_by("reviewed_at").values_list("rating", flat=True)) == [
        3,
        3,
        4,
        1,
    ]
    assert all(card.is_new for card in deck.cards.filter(phrase__front="hablar"))


def test_without_keep_scheduling_the_cards_are_new(tmp_path, deck):
    collection = edit(
        collection_of(written_by_genanki(tmp_path)),
        "INSERT INTO revlog SELECT 1700000000000, id, -1, 3, 0, 0, 0, 1000, 0 FROM cards LIMIT 1",
    )
    source, report = imported(deck, zipped({"collection.anki2": collection}))
    assert source.has_history
    assert report.reviews == 0
    assert all(card.is_new for card in deck.cards.all())


def test_duplicates_are_skipped_or_updated(tmp_path, deck):
    make_card(deck=deck, front="comer", back="old")
    data = written_by_genanki(tmp_path)
    source, report = imported(deck, data)
    assert (report.added, report.skipped) == (5, [(1, "already in the deck")])
    source, report = imported(deck, data, update_duplicates=True)
    assert report.updated == 1
    assert deck.phrases.get(front="comer").back == "to eat"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"readme.txt": b"hello"}, "holds no Anki collection"),
        ({"collection.anki2": b"not sqlite at all"}, "not a valid Anki package"),
        ({"collection.anki21b": b"\x28\xb5\x2f\xfd garbage"}, "not a valid Anki package"),
        ({"collection.anki2": b"SQLite format 3\x00" + b"\x13" * 2000}, "not a valid"),
    ],
)
def test_it_refuses_broken_packages(entries, message):
    with pytest.raises(ImportRefused, match=message):
        read_source(zipped(entries))


def test_it_refuses_a_database_that_is_not_an_anki_collection():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE photos (id INTEGER)")
    with pytest.raises(ImportRefused, match="not an Anki collection"):
        read_source(zipped({"collection.anki2": db.serialize()}))


def test_it_refuses_an_unknown_schema(tmp_path):
    collection = edit(collection_of(written_by_genanki(tmp_path)), "UPDATE col SET ver = 99")
    with pytest.raises(ImportRefused, match="schema 99"):
        read_source(zipped({"collection.anki2": collection}))


def test_it_refuses_a_zip_bomb_before_expanding_it(settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 100_000
    bomb = zipped({"collection.anki2": b"\0" * (20 * 100_000 + 1)})
    assert len(bomb) < 100_000

    def never(*args, **kwargs):
        raise AssertionError("the bomb was expanded")

    monkeypatch.setattr(zipfile.ZipFile, "read", never)
    with pytest.raises(ImportRefused, match="too many or too large"):
        read_source(bomb)


def test_it_refuses_a_zstd_bomb(settings):
    settings.IMPORT_MAX_BYTES = 100_000
    bomb = zstandard.ZstdCompressor().compress(b"\0" * (20 * 100_000 + 1))
    with pytest.raises(ImportRefused, match="too many or too large"):
        read_source(zipped({"collection.anki21b": bomb}))


def test_it_refuses_too_many_zip_entries(monkeypatch):
    monkeypatch.setattr(apkg_module, "MAX_ENTRIES", 3)
    with pytest.raises(ImportRefused, match="too many or too large"):
        read_source(zipped({str(n): b"" for n in range(4)}))


def test_it_refuses_more_notes_than_the_row_limit(tmp_path, settings):
    data = written_by_genanki(tmp_path)
    settings.IMPORT_MAX_ROWS = 4
    with pytest.raises(ImportRefused, match="more than 4 rows"):
        read_source(data)


def test_it_reads_a_bare_collection_file(tmp_path, deck):
    imported(deck, collection_of(written_by_genanki(tmp_path)))
    assert cards_in(deck) == EXPECTED
