"""Importing the packages Anki's own engine wrote (fixtures/make_anki_packages.py says what
they hold): the current format, the legacy one and a collection backup, with every card of a
note, fields by name, media and the SM-2 progress."""

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zstandard
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from cards import scheduling
from cards.importing import ImportOptions, deck_import, read_source, service
from cards.importing.formats import Row, Source
from cards.models import Deck, State
from conftest import htmx

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGES = ("spanish.apkg", "spanish-legacy.apkg", "spanish.colpkg")
# Anki's day 0 of the collection starts at 04:00 (its rollover) on the day it was made.
ANKI_DAY_0 = datetime(2026, 1, 5, 4, tzinfo=UTC)


def package(name: str = "spanish.apkg") -> bytes:
    return (FIXTURES / name).read_bytes()


def imported(deck: Deck, name: str = "spanish.apkg", **options) -> tuple[Source, object]:
    source = read_source(package(name))
    options.setdefault("mapping", source.mapping)
    report = deck_import(deck=deck, source=source, options=ImportOptions(**options))
    return source, report


def directions(deck: Deck) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for front, direction in deck.cards.order_by("direction").values_list(
        "phrase__front", "direction"
    ):
        found.setdefault(front, []).append(direction)
    return found


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish")


@pytest.mark.parametrize("name", [*PACKAGES, "spanish-no-scheduling.apkg"])
def test_every_package_anki_writes_is_read(name):
    source = read_source(package(name))
    assert (source.format, source.deck_name, source.media_count) == ("apkg", "Spanish", 2)
    fronts = [row.fields[0] for row in source.rows]
    assert fronts[:3] == ["hola", "gracias", "adiós"]
    assert len(fronts) == 13  # twelve notes, the cloze one making two phrases


@pytest.mark.parametrize("name", PACKAGES)
def test_every_card_of_a_note_comes_in_in_its_direction(deck, name):
    _source, report = imported(deck, name)
    found = directions(deck)
    assert found["hola"] == ["recognition"]
    assert found["gracias"] == ["production", "recognition"]
    assert found["adiós"] == ["production", "recognition"]  # "Add Reverse" filled in
    assert found["sí"] == ["recognition"]  # left empty: Anki made no reverse card
    assert found["hablar"] == ["production", "recognition"]
    assert found["Buenos […]"] == found["[…] días"] == ["recognition"]
    # The three-template type's third card is the one line about it.
    (line,) = [reason for _line, reason in report.left_out if "Spelling" in reason]
    assert line == "its card “Spelling” matches no direction and is not imported"
    assert report.cards_added == 16


def test_a_deck_learned_one_way_still_gets_the_reverse_cards_of_reversed_notes(alice):
    one_way = Deck.objects.create(owner=alice, name="One way", directions=["recognition"])
    imported(one_way)
    assert directions(one_way)["gracias"] == ["production", "recognition"]


def test_fields_are_mapped_by_name_and_an_audio_first_note_is_not_empty(deck):
    _source, report = imported(deck)
    hablar = deck.phrases.get(front="hablar")
    assert (hablar.back, hablar.example) == ("to speak", "Hablo español.")  # "Пример"
    perro = deck.phrases.get(front="perro")
    assert perro.back == "dog"
    assert not [line for line, reason in report.skipped if "empty" in reason]


@pytest.mark.parametrize("name", PACKAGES)
def test_sounds_and_pictures_become_the_phrases_media(deck, name):
    _source, report = imported(deck, name)
    assert report.media_count == 2
    pan, perro = deck.phrases.get(front="pan"), deck.phrases.get(front="perro")
    assert pan.back == "bread"
    assert default_storage.exists(pan.image)
    assert pan.image_side == "back"  # as in the note: 'bread <img src="bread.png">'
    assert perro.audio.endswith(".mp3") and default_storage.exists(perro.audio)
    assert default_storage.open(perro.audio).read(3) in (b"ID3", b"\xff\xfb", b"\xff\xf3")


def test_a_reference_to_a_file_not_in_the_package_is_reported_and_leaves_no_space(deck):
    _source, report = imported(deck)
    gato = deck.phrases.get(front="gato")
    assert (gato.front, gato.audio) == ("gato", "")
    assert (9, "it refers to missing.mp3, which is not in the package") in report.left_out


def test_a_media_file_over_the_size_limit_is_left_out_with_a_line(deck, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 100  # the sound is larger; the picture is 99 bytes
    _source, report = imported(deck)
    assert deck.phrases.get(front="perro").audio == ""
    assert deck.phrases.get(front="pan").image != ""
    assert report.media_count == 1
    (reason,) = [reason for line, reason in report.left_out if line == 8]
    assert reason.startswith("perro.mp3 is left out: The file is larger than")


def test_tags_and_subdecks_come_along(deck):
    imported(deck, subdecks_as_decks=True)
    assert deck.phrases.get(front="gracias").tags == "greeting polite"
    verbs = Deck.objects.get(owner=deck.owner, name="Spanish::Verbs")
    assert list(verbs.phrases.values_list("front", flat=True)) == ["hablar"]


@pytest.mark.parametrize("name", PACKAGES)
def test_each_card_keeps_its_own_review_history_and_suspension(deck, name):
    _source, report = imported(deck, name, keep_scheduling=True)
    gracias = deck.cards.filter(phrase__front="gracias")
    ratings = {
        card.direction: list(card.reviews.order_by("reviewed_at").values_list("rating", flat=True))
        for card in gracias
    }
    assert ratings == {"recognition": [3, 3, 3], "production": [1, 3, 3, 2]}
    hola = deck.cards.get(phrase__front="hola")
    assert hola.reviews.count() == 4
    assert hola.last_review == datetime(2026, 1, 9, 10, tzinfo=UTC)
    assert hola.state == State.REVIEW
    assert [card.suspended for card in deck.cards.filter(phrase__front="adiós")] == [True, True]
    assert deck.cards.get(phrase__front="sí").is_new


def test_a_review_card_without_history_gets_the_memory_state_of_its_sm2_interval(deck, alice):
    imported(deck, keep_scheduling=True)
    casa = deck.cards.get(phrase__front="casa")  # Anki's "set due date" to 3 days
    stability, difficulty = scheduling.memory_state_from_sm2(alice, ease=2.5, interval=3)
    assert (casa.state, casa.stability, casa.difficulty) == (State.REVIEW, stability, difficulty)
    assert casa.due == ANKI_DAY_0 + timedelta(days=3)
    assert casa.last_review == casa.due - timedelta(days=3)
    assert casa.reviews.count() == 0


def test_a_partial_history_starts_from_the_sm2_state_before_it(deck, alice):
    imported(deck, keep_scheduling=True)
    agua = deck.cards.get(phrase__front="agua")  # "set due date", then two reviews
    first = agua.reviews.order_by("reviewed_at").first()
    assert agua.reviews.count() == 2
    stability, difficulty = scheduling.memory_state_from_sm2(alice, ease=2.5, interval=1)
    assert (first.state_before, first.stability_before) == (State.REVIEW, stability)
    assert first.difficulty_before == difficulty
    assert agua.stability > stability


def test_without_keeping_the_history_every_card_is_new(deck):
    imported(deck)
    assert all(card.is_new for card in deck.cards.all())


def test_a_package_exported_without_scheduling_has_no_history_to_keep(deck):
    source, report = imported(deck, "spanish-no-scheduling.apkg", keep_scheduling=True)
    assert not source.has_history
    assert report.reviews == 0
    assert all(card.is_new for card in deck.cards.all())


def post_package(client, deck, name: str = "spanish.apkg", **fields):
    data = {"file": SimpleUploadedFile(name, package(name)), **fields}
    return client.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())


def test_the_job_report_lists_what_notes_came_without(as_alice, deck):
    body = post_package(as_alice, deck, keep_scheduling="true").content.decode()
    assert "Imported without" in body
    assert "Line 9: it refers to missing.mp3, which is not in the package" in body
    assert "2 pictures and sounds" in body
    assert "0 lines skipped" in body


def test_a_failed_import_removes_the_media_files_it_stored(
    as_alice, deck, monkeypatch, django_capture_on_commit_callbacks
):
    stored = []
    real_attach = service._attach_media

    def attach_and_fail(phrase, row, media, report):
        real_attach(phrase, row, media, report)
        stored.extend(name for name in (phrase.image, phrase.audio) if name)

    def fail_at_the_end(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(service, "_attach_media", attach_and_fail)
    monkeypatch.setattr(service.Phrase.objects, "bulk_update", fail_at_the_end)
    with django_capture_on_commit_callbacks(execute=True):
        body = post_package(as_alice, deck).content.decode()
    assert "Import failed" in body
    assert len(stored) == 2
    assert not any(default_storage.exists(name) for name in stored)
    assert not deck.phrases.exists()


@pytest.mark.parametrize("media_list", [b"\xff\xff\xff\xff", b"\x0a\xff\xff\xff\xff\x0f", b""])
def test_an_unreadable_media_list_is_no_media_and_the_notes_still_come(deck, media_list):
    original = zipfile.ZipFile(io.BytesIO(package()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for entry in original.infolist():
            content = original.read(entry)
            if entry.filename == "media":
                content = zstandard.ZstdCompressor().compress(media_list)
            archive.writestr(entry.filename, content)
    source = read_source(out.getvalue())
    report = deck_import(deck=deck, source=source, options=ImportOptions(mapping=source.mapping))
    assert report.added == 13
    assert (8, "it refers to perro.mp3, which is not in the package") in report.left_out


def preview(client, deck, **fields) -> str:
    data = {"file": SimpleUploadedFile("spanish.apkg", package()), **fields}
    return client.post(f"/decks/{deck.pk}/import/preview/", data, **htmx()).content.decode()


def vocab_key() -> str:
    source = read_source(package())
    return next(key for key, notetype in source.notetypes.items() if notetype.name.startswith("V"))


def test_the_preview_offers_each_note_types_fields_like_a_csvs_columns(as_alice, deck):
    body = preview(as_alice, deck)
    assert "Note type “Vocab (three ways)”" in body
    key = vocab_key()
    assert f'name="nt{key}-example"' in body
    assert '<option value="2" selected>Пример: Hablo español.</option>' in body
    assert 'name="front"' not in body  # a package's notes have no columns of their own


def test_a_note_type_mapped_in_the_preview_is_imported_so(as_alice, deck):
    key = vocab_key()
    picks = {f"nt{key}-front": "0", f"nt{key}-back": "2", f"nt{key}-notes": "1"}
    body = preview(as_alice, deck, mapped="true", **picks)
    assert '<option value="2" selected>Пример: Hablo español.</option>' in body
    data = {"file": SimpleUploadedFile("spanish.apkg", package()), "mapped": "true", **picks}
    as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    hablar = deck.phrases.get(front="hablar")
    assert (hablar.back, hablar.notes, hablar.example) == ("Hablo español.", "to speak", "")
    # The other note types keep what their fields' names say.
    assert deck.phrases.get(front="gracias").back == "thank you"


@pytest.mark.parametrize("value", ["99", "-1", "²", "x"])
def test_a_note_type_pick_that_is_no_field_of_it_is_not_imported(as_alice, deck, value):
    key = vocab_key()
    data = {"file": SimpleUploadedFile("spanish.apkg", package()), "mapped": "true"}
    data[f"nt{key}-example"] = value
    as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    hablar = deck.phrases.get(front="hablar")
    assert (hablar.back, hablar.example) == ("to speak", "")


def test_a_batch_carries_at_most_a_hundred_media_files_so_it_ends_within_the_lease():
    rows = [Row(line=n, fields=["a", "b"], audio="x.mp3" if n < 250 else "") for n in range(2500)]
    sizes = [len(batch) for _start, batch in service._batches(rows)]
    assert sizes == [100, 100, 1000, 1000, 300]
    starts = [start for start, _batch in service._batches(rows)]
    assert starts == [0, 100, 200, 1200, 2200]
