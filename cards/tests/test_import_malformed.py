"""Malformed and hostile files at the import: each answered with a clear refusal or a report
with the skipped rows, never a 500 — and the same on SQLite and PostgreSQL."""

import sqlite3

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cards.importing import ImportOptions, ImportRefused, deck_import, read_source
from cards.models import Card, Deck
from cards.tests.anki_schema import SCHEMA_18_TABLES
from cards.tests.test_import_apkg import collection_of, edit, written_by_genanki, zipped
from conftest import htmx, make_card


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])


def imported(deck, data, **options):
    source = read_source(data)
    options.setdefault("mapping", source.mapping)
    return source, deck_import(deck=deck, source=source, options=ImportOptions(**options))


def preview(client, deck, data: bytes, **form):
    form["file"] = SimpleUploadedFile("cards.csv", data)
    return client.post(f"/decks/{deck.pk}/import/preview/", form, **htmx())


# NUL characters: PostgreSQL text cannot hold them, SQLite can; both strip them.


def test_a_search_for_a_nul_character_shows_the_deck(as_alice, deck):
    make_card(deck=deck, front="hola", back="hello")
    response = as_alice.get(f"/decks/{deck.pk}/?q=%00", **htmx(HTTP_HX_TARGET="card-list"))
    assert response.status_code == 200
    assert "hola" in response.text


def test_a_search_with_a_nul_character_inside_finds_the_words_around_it(as_alice, deck):
    make_card(deck=deck, front="hola", back="hello")
    response = as_alice.get(f"/decks/{deck.pk}/?q=ho%00la", **htmx(HTTP_HX_TARGET="card-list"))
    assert "1 phrase found" in response.text


def test_a_utf16_file_with_nul_characters_imports_without_them(deck):
    lines = [f"palabra número {n}\tword number {n}" for n in range(100)]
    lines[3], lines[7] = "ho\x00la\thello", "adiós\tbye\x00"
    source, report = imported(deck, "\n".join(lines).encode("utf-16"))
    assert report.added == 100
    assert deck.phrases.filter(front="hola", back="hello").exists()
    assert deck.phrases.filter(front="adiós", back="bye").exists()


def test_an_anki_package_with_nul_characters_imports_without_them(tmp_path, deck):
    collection = edit(
        collection_of(written_by_genanki(tmp_path)),
        "UPDATE notes SET flds = replace(flds, 'comer', 'co' || char(0) || 'mer'),"
        " tags = replace(tags, 'verb', 've' || char(0) || 'rb')",
    )
    collection = edit(
        collection,
        "UPDATE col SET decks = replace(decks, '\"Spanish::Food\"', '\"Spanish::Fo\\u0000od\"')",
    )
    source, report = imported(deck, zipped({"collection.anki2": collection}))
    assert report.added == 6
    assert deck.phrases.get(front="comer").tags == "verb"
    assert deck.phrases.get(front="pan").tags == "food Food"


# Anki packages: every column is untrusted data.

SCHEMA_18 = (
    SCHEMA_18_TABLES
    + """
    INSERT INTO notetypes VALUES (10, 'Basic', x'1a0474657374');
    INSERT INTO fields VALUES (10, 0, 'Front'), (10, 1, 'Back');
    INSERT INTO decks VALUES (1, 'Default'), (5, 'Words');
    INSERT INTO notes VALUES (100, 10, 'a', 'uno' || char(31) || 'one'),
                             (101, 10, '', 'dos' || char(31) || 'two');
    INSERT INTO cards (id, nid, did, ord, queue) VALUES (1000, 100, 5, 0, 0), (1001, 101, 5, 0, 0);
    INSERT INTO revlog (id, cid, ease, time, type) VALUES (1700000000000, 1000, 3, 8000, 0);
"""
)


def modern_package(*statements: str) -> bytes:
    """A schema-18 collection (Anki 2.1.50+), changed by `statements`."""
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA_18)
    for statement in statements:
        db.execute(statement)
    db.commit()
    return zipped({"collection.anki21b": db.serialize()})


def genanki_package(tmp_path, *statements: str) -> bytes:
    """A schema-11 collection as genanki writes it, changed by `statements`."""
    return zipped(
        {"collection.anki2": edit(collection_of(written_by_genanki(tmp_path)), *statements)}
    )


def encrypted(package: bytes) -> bytes:
    """The package with every entry marked encrypted (bit 0 of its flags), as `zip -e` marks
    them: Python cannot write encrypted entries, and reading one asks for a password."""
    data = bytearray(package)
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flags_at] |= 1
            start = data.find(signature, start + 4)
    return bytes(data)


def test_the_modern_collection_of_these_tests_imports(deck):
    source, report = imported(deck, modern_package(), keep_scheduling=True)
    assert (report.added, report.reviews) == (2, 1)


def test_an_encrypted_package_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="not a valid Anki package"):
        read_source(
            encrypted(zipped({"collection.anki2": collection_of(written_by_genanki(tmp_path))}))
        )


def test_a_collection_without_its_col_record_is_refused():
    with pytest.raises(ImportRefused, match="damaged"):
        read_source(modern_package("DELETE FROM col"))


@pytest.mark.parametrize("column", ["flds", "tags"])
def test_a_note_whose_fields_or_tags_are_null_is_skipped_with_the_reason(deck, column):
    source, report = imported(
        deck, modern_package(f"UPDATE notes SET {column} = NULL WHERE id = 101")
    )
    assert report.added == 1
    assert report.skipped == [(2, "the note’s fields or tags are not text")]


@pytest.mark.parametrize("value", ["NULL", "x'00ff'"])
def test_a_deck_without_a_text_name_is_refused(value):
    with pytest.raises(ImportRefused, match="damaged: a deck has no name"):
        read_source(modern_package(f"UPDATE decks SET name = {value} WHERE id = 5"))


def test_a_legacy_deck_without_a_name_is_refused(tmp_path):
    package = genanki_package(
        tmp_path, "UPDATE col SET decks = replace(decks, '\"Spanish::Food\"', 'null')"
    )
    with pytest.raises(ImportRefused):
        read_source(package)


def test_a_field_name_that_is_not_text_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="damaged"):
        read_source(modern_package("UPDATE fields SET name = NULL WHERE ord = 1"))
    package = genanki_package(tmp_path, "UPDATE col SET models = replace(models, '\"Back\"', '7')")
    with pytest.raises(ImportRefused, match="damaged"):
        read_source(package)


def test_a_note_type_whose_config_is_text_is_refused():
    with pytest.raises(ImportRefused, match="damaged: a note type’s settings are unreadable"):
        read_source(modern_package("UPDATE notetypes SET config = 'cloze'"))


def test_a_review_in_the_year_287168_is_refused():
    with pytest.raises(ImportRefused, match="damaged: a review has an impossible date"):
        read_source(modern_package("UPDATE revlog SET id = 9000000000000000"))


@pytest.mark.parametrize("ease", ["1.5", "'good'", "7"])
def test_a_review_with_an_unknown_grade_is_refused(deck, ease):
    with pytest.raises(ImportRefused, match="damaged: a review has an unknown grade"):
        imported(deck, modern_package(f"UPDATE revlog SET ease = {ease}"), keep_scheduling=True)
    assert not Card.objects.exists()


@pytest.mark.parametrize("duration", ["NULL", "'long'", "-5", "99999999999999"])
def test_a_review_whose_time_is_not_a_duration_is_replayed_without_one(deck, duration):
    source, report = imported(
        deck, modern_package(f"UPDATE revlog SET time = {duration}"), keep_scheduling=True
    )
    assert report.reviews == 1
    assert deck.cards.get(phrase__front="uno").reviews.get().duration_ms is None


def test_a_cloze_number_of_5000_digits_is_not_a_cloze():
    package = modern_package(
        "UPDATE notetypes SET config = x'0801'",
        f"UPDATE notes SET flds = '{{{{c{'9' * 5000}::x}}}} and {{{{c1::y}}}}' || char(31) || ''"
        " WHERE id = 100",
    )
    assert [row.fields[1] for row in read_source(package).rows] == ["y"]


# Text: huge lines and bad header values.


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"x" * 9_000_000, 1),  # a 9 MB single line
        (b'"' * 1_000_000, 1),  # 1 MB of quotes
        (b'front;back\nuno;one\n"never closed;' + b"y" * 200_000 + b"\nnext;line\n", 3),
    ],
    ids=["a 9 MB line", "1 MB of quotes", "an unclosed quote"],
)
def test_a_field_over_128_kb_is_refused_with_its_line(data, line):
    message = f"Line {line} holds a field longer than 131072 characters"
    with pytest.raises(ImportRefused, match=message):
        read_source(data)


def test_a_line_of_100000_columns_is_read(deck):
    data = b",".join(b"%d" % n for n in range(100_000)) + b"\n"
    source, report = imported(deck, data)
    assert (source.separator, source.column_count) == (",", 100_000)
    assert list(deck.phrases.values_list("front", "back")) == [("0", "1")]


@pytest.mark.parametrize("value", ["²", "9" * 5000, "0", "x"])
def test_a_tags_column_header_that_is_no_column_number_is_refused(value):
    data = f"#separator:tab\n#tags column:{value}\nhola\thello\ttag\n".encode()
    with pytest.raises(ImportRefused, match="is not a column number"):
        read_source(data)


# The preview of a file with very many columns.


def test_the_preview_offers_the_first_100_of_64001_columns(as_alice, deck):
    data = (";".join(f"c{n}" for n in range(64_001)) + "\n").encode() * 2
    response = preview(as_alice, deck, data)
    assert response.status_code == 200
    assert response.text.count("<option") <= 5 * 101 + 10
    assert 'value="99"' in response.text
    assert 'value="100"' not in response.text
    assert "Only the first 100 of 64001 columns are offered." in response.text


def test_the_preview_offers_a_mapped_column_beyond_the_first_100(as_alice, deck):
    header = ["x"] * 150 + ["front", "back"]
    data = "\n".join([";".join(header), ";".join(["y"] * 150 + ["hola", "hello"])]).encode()
    response = preview(as_alice, deck, data)
    assert '<option value="150" selected>front: hola</option>' in response.text
    assert '<td class="import-front">hola</td><td class="import-back">hello</td>' in response.text


# Encodings: a file in two encodings is read line by line and the preview says which lines.

MIXED = "привет\thello\nпока\tbye\n".encode() + "спасибо\tthanks\n".encode("cp1251")


def test_a_utf8_file_with_one_windows_1251_line_keeps_its_utf8_lines():
    source = read_source(MIXED)
    assert [row.fields for row in source.rows] == [
        ["привет", "hello"],
        ["пока", "bye"],
        ["спасибо", "thanks"],
    ]
    assert source.encoding == "UTF-8"
    assert source.doubtful_lines == [3]


def test_the_preview_names_the_lines_in_another_encoding(as_alice, deck):
    response = preview(as_alice, deck, MIXED)
    assert '<td class="import-front">привет</td><td class="import-back">hello</td>' in response.text
    assert "Line 3 is not valid UTF-8 and was read as Windows-1251" in response.text


def test_the_learner_chooses_the_encoding(as_alice, deck):
    response = preview(as_alice, deck, MIXED, encoding="cp1251")
    assert (
        '<td class="import-front">спасибо</td><td class="import-back">thanks</td>' in response.text
    )
    assert (
        '<td class="import-front">РїСЂРёРІРµС‚</td><td class="import-back">hello</td>'
        in response.text
    )
    as_alice.post(
        f"/decks/{deck.pk}/import/",
        {"file": SimpleUploadedFile("cards.csv", MIXED), "encoding": "utf-8"},
        **htmx(),
    )
    assert sorted(deck.phrases.values_list("front", flat=True)) == ["пока", "привет", "�������"]


def test_the_encoding_chosen_for_a_file_does_not_change_pasted_text(as_alice, deck):
    form = {"text": "привет\thello\n", "encoding": "cp1251"}
    response = as_alice.post(f"/decks/{deck.pk}/import/preview/", form, **htmx())
    assert '<td class="import-front">привет</td><td class="import-back">hello</td>' in response.text


def test_a_latin_1_file_is_read_as_windows_1252_and_said_so():
    data = "adiós\tgoodbye\nhola\thello\naño\tyear\n".encode("latin-1")
    source = read_source(data)
    assert [row.fields[0] for row in source.rows] == ["adiós", "hola", "año"]
    assert (source.encoding, source.doubtful_lines) == ("Windows-1252", [1, 3])
    assert source.encoding_note.startswith(
        "Lines 1, 3 are not valid UTF-8 and were read as Windows-1252."
    )


def test_russian_in_windows_1251_is_read_without_a_doubt():
    source = read_source("кот;cat\nсобака;dog, hound\n".encode("cp1251"))
    assert (source.encoding, source.encoding_note) == ("Windows-1251", "")


def test_many_lines_in_another_encoding_are_named_ten_at_a_time():
    data = "hola\tпривет\n".encode() + "пока\tbye\n".encode("cp1251") * 30
    source = read_source(data)
    assert source.doubtful_lines == list(range(2, 32))
    assert source.encoding_note.startswith(
        "Lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 20 more are not valid UTF-8"
    )


def test_a_subdeck_name_too_long_for_the_tags_skips_its_cards(deck):
    long_name = "x" * 600
    package = modern_package(
        f"UPDATE decks SET name = 'Words' || char(31) || '{long_name}' WHERE id = 5",
        "INSERT INTO decks VALUES (6, 'Words')",
        "UPDATE cards SET did = 6 WHERE id = 1001",
    )
    source, report = imported(deck, package)
    assert list(deck.phrases.values_list("front", flat=True)) == ["dos"]
    assert report.skipped == [(1, "the tags is longer than 500 characters")]


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/decks/new/", {"name": "Wo\x00rds"}),
        ("/decks/{deck}/edit/", {"name": "Wo\x00rds"}),
        ("/decks/{deck}/phrases/add/", {"front": "ho\x00la", "back": "hello"}),
        ("/decks/{deck}/import/", {"text": "ho\x00la\thello\n"}),
    ],
)
def test_a_form_with_a_nul_character_says_so(as_alice, deck, url, form):
    response = as_alice.post(url.format(deck=deck.pk), form, **htmx())
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.text
    assert not Card.objects.exists()
    assert list(Deck.objects.values_list("name", flat=True)) == ["Spanish"]


def test_a_cloze_note_too_long_for_its_clozes_is_skipped(deck):
    text = " ".join(f"{{{{c{n}::w{n}}}}}" for n in range(1, 2001))
    package = modern_package(
        "UPDATE notetypes SET config = x'0801'",
        f"UPDATE notes SET flds = '{text}' || char(31) || '' WHERE id = 100",
    )
    source, report = imported(deck, package)
    assert report.skipped[0] == (1, "the note is too long for its 2000 clozes")


def test_a_card_whose_ord_is_not_a_number_is_no_card(deck):
    package = modern_package(
        "INSERT INTO cards (id, nid, did, ord, queue) VALUES (1002, 100, 5, 'two', 0)",
        "INSERT INTO cards (id, nid, did, ord, queue) VALUES (1003, 100, 5, 7, 0)",
    )
    source = read_source(package)
    report = deck_import(deck=deck, source=source, options=ImportOptions(mapping=source.mapping))
    assert report.added == 2
    assert [line for line, _reason in report.left_out] == [1]
