"""Importing text: formats, encodings, Anki's headers, Quizlet, the mapping, duplicates, limits."""

import csv
import io

import pytest

from cards.importing import ImportOptions, ImportRefused, deck_import, preview_rows, read_source
from cards.importing.formats import html_to_text
from cards.models import Card, Deck, Phrase
from conftest import make_card


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])


def rows(source):
    return [row.fields for row in source.rows]


def test_it_reads_tab_separated_text():
    source = read_source(b"hola\thello\nadios\tgoodbye\n")
    assert (source.format, source.separator, source.encoding) == ("csv", "\t", "UTF-8")
    assert rows(source) == [["hola", "hello"], ["adios", "goodbye"]]


def test_it_reads_csv_the_way_python_and_spreadsheets_write_it():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["front", "back"])
    writer.writerow(["una, dos", 'she said "hi"'])
    writer.writerow(["line\nbreak", "x"])
    writer.writerow(["last", "y"])
    source = read_source(out.getvalue().encode())
    assert source.separator == ","
    assert source.columns == ["front", "back"]
    assert rows(source) == [["una, dos", 'she said "hi"'], ["line\nbreak", "x"], ["last", "y"]]
    # Line numbers are where each record starts, the quoted newline included.
    assert [row.line for row in source.rows] == [2, 3, 5]


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("gato;cat\nperro;dog, hound\n", ";"),
        ("gato|cat\nperro|dog; hound\n", "|"),
        ("gato,cat\nperro,dog\n", ","),
        ("gato\tcat, feline\nperro\tdog; hound\n", "\t"),
    ],
)
def test_it_detects_the_separator(text, separator):
    source = read_source(text.encode())
    assert source.separator == separator
    assert rows(source)[0][0] == "gato"


def test_it_reads_utf8_with_a_bom():
    source = read_source("\ufeffкот\tcat\n".encode())
    assert source.encoding == "UTF-8"
    assert rows(source) == [["кот", "cat"]]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_it_reads_utf16_with_a_bom(codec):
    data = "кот\tcat\nсобака\tdog\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    source = read_source(data)
    assert source.encoding == "UTF-16"
    assert rows(source) == [["кот", "cat"], ["собака", "dog"]]


def test_it_reads_windows_1251():
    source = read_source("кот;cat\nсобака;dog\nёжик;hedgehog\n".encode("cp1251"))
    assert source.encoding == "Windows-1251"
    assert rows(source)[2] == ["ёжик", "hedgehog"]


def test_it_reads_anki_plain_text_headers():
    text = (
        "#separator:Pipe\n#html:true\n#tags:imported verbs\n#deck:Spanish::Verbs\n"
        "#notetype:Basic\n#columns:Front|Back|Tags\n"
        "comer<br>to eat|to <b>eat</b> &amp; dine|food\n"
    )
    source = read_source(text.encode())
    assert source.format == "anki-text"
    assert source.deck_name == "Spanish::Verbs"
    assert source.mapping == {"front": 0, "back": 1, "tags": 2}
    assert rows(source) == [["comer\nto eat", "to eat & dine", "food"]]
    assert source.rows[0].line == 7
    (card,) = preview_rows(source, ImportOptions(mapping=source.mapping))
    assert card["tags"] == "imported verbs food"


def test_it_reads_anki_exports_with_guid_notetype_deck_and_tags_columns():
    text = (
        "#separator:tab\n#html:false\n#guid column:1\n#notetype column:2\n#deck column:3\n"
        "#tags column:6\n"
        "abc\tBasic\tSpanish::Food\tpan\tbread\tfood\n"
        "def\tBasic\tSpanish\tagua\t<b>water</b>\t\n"
    )
    source = read_source(text.encode())
    assert source.mapping == {"front": 3, "back": 4, "tags": 5}
    assert [row.subdeck for row in source.rows] == ["Spanish::Food", "Spanish"]
    # #html:false: angle brackets are text, not markup.
    assert preview_rows(source, ImportOptions(mapping=source.mapping))[1]["back"] == "<b>water</b>"


def test_it_reads_quizlets_default_export_as_tab_separated():
    source = read_source(b"la casa\tthe house\nel perro\tthe dog")
    assert rows(source) == [["la casa", "the house"], ["el perro", "the dog"]]


def test_it_detects_quizlets_semicolon_between_rows():
    source = read_source(b"la casa\tthe house;el perro\tthe dog;el gato\tthe cat;")
    assert source.format == "quizlet"
    assert rows(source) == [
        ["la casa", "the house"],
        ["el perro", "the dog"],
        ["el gato", "the cat"],
    ]


def test_it_reads_quizlet_with_custom_separators():
    data = b"la casa - the house ## el perro - the dog, a pet ## "
    source = read_source(data, separator=" - ", row_separator=" ## ")
    assert source.format == "quizlet"
    assert rows(source) == [["la casa", "the house"], ["el perro", "the dog, a pet"]]


def test_it_reduces_html_to_safe_text_keeping_line_breaks():
    html = "<div>uno</div><div>dos<br>tres</div><script>alert(1)</script>"
    html += '<img src="x.jpg">[sound:a.mp3]'
    assert html_to_text(html) == "uno\ndos\ntres"
    source = read_source(b"<i>hola</i>\thello &lt;world&gt;\n")
    assert rows(source) == [["hola", "hello <world>"]]


def test_it_leaves_plain_text_with_angle_brackets_alone():
    assert rows(read_source(b"a < b\tless than\n")) == [["a < b", "less than"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n\n ", "The file is empty."),
        (bytes(range(256)) * 4, "neither text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "neither text"),
        (b"PK\x03\x04garbage", "not a valid Anki package"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "not a valid Anki package"),
        (b"\xff\xfe\x00\xd8", "not valid UTF-16"),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(data, message):
    with pytest.raises(ImportRefused, match=message):
        read_source(data)


def test_it_refuses_a_file_over_the_size_limit(settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportRefused, match="larger than 0.0001 MB"):
        read_source(b"a\tb\n" * 26)
    assert len(read_source(b"a\tb\n" * 25).rows) == 25


def test_it_refuses_more_rows_than_the_limit(settings):
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(ImportRefused, match="more than 3 rows"):
        read_source(b"a\t1\nb\t2\nc\t3\nd\t4\n")
    # A header row is not counted.
    assert len(read_source(b"front,back\na,1\nb,2\nc,3\n").rows) == 3


def test_it_refuses_too_many_quizlet_rows(settings):
    settings.IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportRefused, match="more than 2 rows"):
        read_source(b"a\t1;b\t2;c\t3")


def test_it_explains_the_limit_in_russian(settings):
    from django.utils import translation

    settings.IMPORT_MAX_ROWS = 3
    with translation.override("ru"), pytest.raises(ImportRefused, match="больше 3 строк"):
        read_source(b"a\t1\nb\t2\nc\t3\nd\t4\n")


def test_it_previews_the_first_rows_mapped_with_swap_and_columns():
    source = read_source(b"hola\thello\tHola, amigo\n\tempty\tx\n")
    options = ImportOptions(mapping={"front": 0, "back": 1, "example": 2}, swap=True)
    assert preview_rows(source, options) == [
        {
            "line": 1,
            "front": "hello",
            "back": "hola",
            "example": "Hola, amigo",
            "notes": "",
            "tags": "",
        },
        {"line": 2, "skip": "the back is empty"},
    ]


def test_it_imports_rows_and_reports_each_skipped_line(deck):
    data = "hola\thello\n\tno front\nadios\t\nhola\tagain\n" + "x" * 1001 + "\tlong\ngato\tcat\n"
    report = deck_import(deck=deck, source=read_source(data.encode()), options=ImportOptions())
    assert (report.added, report.updated) == (2, 0)
    assert report.skipped == [
        (2, "the front is empty"),
        (3, "the back is empty"),
        (4, "the same front as line 1"),
        (5, "the front is longer than 1000 characters"),
    ]
    cards = Card.objects.filter(deck=deck).select_related("phrase").order_by("phrase__front")
    assert [(c.phrase.front, c.phrase.back, c.owner_id) for c in cards] == [
        ("gato", "cat", deck.owner_id),
        ("hola", "hello", deck.owner_id),
    ]
    assert all(card.is_new for card in cards)


def test_it_skips_a_front_already_in_the_deck(deck):
    make_card(deck=deck, front="hola", back="hi", notes="mine")
    source = read_source(b"hola\thello\ngato\tcat\n")
    report = deck_import(deck=deck, source=source, options=ImportOptions())
    assert (report.added, report.updated, report.skipped) == (1, 0, [(1, "already in the deck")])
    assert Phrase.objects.get(deck=deck, front="hola").back == "hi"


def test_it_updates_a_front_already_in_the_deck_when_asked(deck):
    make_card(deck=deck, front="hola", back="hi", notes="mine")
    make_card(deck=deck, front="gato", back="cat")
    source = read_source(b"hola\thello\ngato\tcat\n")
    options = ImportOptions(update_duplicates=True)
    report = deck_import(deck=deck, source=source, options=options)
    assert (report.added, report.updated) == (0, 1)
    assert report.skipped == [(2, "already in the deck, unchanged")]
    phrase = Phrase.objects.get(deck=deck, front="hola")
    # Notes were not in the file, so they are kept.
    assert (phrase.back, phrase.notes) == ("hello", "mine")


def test_duplicates_in_another_deck_do_not_count(deck, alice):
    other = Deck.objects.create(owner=alice, name="Other")
    make_card(deck=other, front="hola", back="hi")
    report = deck_import(deck=deck, source=read_source(b"hola\thello\n"), options=ImportOptions())
    assert report.added == 1


def test_subdecks_become_decks_or_tags(deck):
    text = "#separator:tab\n#deck column:1\nFood\tpan\tbread\n\tagua\twater\nFood\tqueso\tcheese\n"
    options = ImportOptions(mapping={"front": 1, "back": 2}, subdecks_as_decks=True)
    report = deck_import(deck=deck, source=read_source(text.encode()), options=options)
    assert report.decks_created == ["Spanish::Food"]
    food = Deck.objects.get(name="Spanish::Food", owner=deck.owner)
    assert sorted(food.phrases.values_list("front", flat=True)) == ["pan", "queso"]
    assert list(deck.phrases.values_list("front", flat=True)) == ["agua"]

    other = Deck.objects.create(owner=deck.owner, name="Tagged")
    options = ImportOptions(mapping={"front": 1, "back": 2})
    deck_import(deck=other, source=read_source(text.encode()), options=options)
    assert dict(other.phrases.values_list("front", "tags")) == {
        "pan": "Food",
        "agua": "",
        "queso": "Food",
    }


def test_nothing_is_half_imported(deck, monkeypatch):
    source = read_source(b"hola\thello\ngato\tcat\n")

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Phrase.objects, "bulk_update", fail)
    with pytest.raises(RuntimeError):
        deck_import(deck=deck, source=source, options=ImportOptions())
    assert not Card.objects.exists()


def test_it_imports_10000_rows_in_batches_not_row_by_row(deck, django_assert_max_num_queries):
    data = "".join(f"word{i}\tслово{i}\n" for i in range(10_000)).encode()
    source = read_source(data)
    # Batches of 500 rows on PostgreSQL; SQLite caps a statement at 999 parameters (~90
    # phrases, ~71 cards), and each transaction of 1,000 rows locks the deck and reads the
    # fronts already there.
    with django_assert_max_num_queries(10_000 // 25):
        report = deck_import(deck=deck, source=source, options=ImportOptions())
    assert report.added == 10_000
    assert Card.objects.filter(deck=deck, owner=deck.owner).count() == 10_000
