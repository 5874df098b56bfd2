"""Exporting: a deck as CSV or as an Anki package, and all of a learner's data as one zip."""

import csv
import html
import io
import itertools
import json
import shutil
import sqlite3
import time
import zipfile
from collections.abc import Callable, Iterable
from typing import IO

import genanki
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from cards.importing.formats import EXPORT_HEADER, FORMULA_STARTS
from cards.models import Card, Deck, Direction, Phrase, ReviewLog

# Fixed ids, so that Anki recognises the note type when a learner imports a deck again.
ANKI_MODEL_ID = 1_742_000_000_001
ANKI_DECK_BASE_ID = 1_742_000_000_000_000
RECOGNITION_TEMPLATE = {
    "name": "Card 1",
    "qfmt": "{{Front}}",
    "afmt": (
        "{{FrontSide}}<hr id=answer>{{Back}}"
        "{{#Example}}<br><br><i>{{Example}}</i>{{/Example}}"
        "{{#Notes}}<br><br>{{Notes}}{{/Notes}}"
    ),
}
PRODUCTION_TEMPLATE = {
    "name": "Card 2",
    "qfmt": "{{Back}}",
    "afmt": (
        "{{FrontSide}}<hr id=answer>{{Front}}"
        "{{#Example}}<br><br><i>{{Example}}</i>{{/Example}}"
        "{{#Notes}}<br><br>{{Notes}}{{/Notes}}"
    ),
}
ANKI_FIELDS = [{"name": "Front"}, {"name": "Back"}, {"name": "Example"}, {"name": "Notes"}]
ANKI_MODEL = genanki.Model(
    ANKI_MODEL_ID, "PhraseWeaver", fields=ANKI_FIELDS, templates=[RECOGNITION_TEMPLATE]
)
# A phrase learned both ways is an Anki note with both cards ("Basic (and reversed)").
ANKI_REVERSED_MODEL = genanki.Model(
    ANKI_MODEL_ID + 1,
    "PhraseWeaver (and reversed)",
    fields=ANKI_FIELDS,
    templates=[RECOGNITION_TEMPLATE, PRODUCTION_TEMPLATE],
)
# image and audio name the phrase's files, at media/<name> in the zip.
PHRASE_COLUMNS = (
    "id", "deck_id", "front", "back", "example", "notes", "tags", "created", "image",
    "image_side", "audio",
)  # fmt: skip
CARD_COLUMNS = (
    "id", "phrase_id", "direction", "deck_id", "suspended", "created",
    "state", "step", "stability", "difficulty", "due", "last_review",
)  # fmt: skip
REVIEW_COLUMNS = (
    "id", "card_id", "rating", "reviewed_at", "duration_ms", "state_before", "step_before",
    "stability_before", "difficulty_before", "due_before", "last_review_before",
)  # fmt: skip
DECK_COLUMNS = ("id", "name", "description", "front_lang", "back_lang", "created")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return out.getvalue().encode()


def deck_csv(deck: Deck) -> bytes:
    """UTF-8 CSV with a header, a phrase a row; importing it into a deck gives the same phrases
    back."""
    rows = deck.phrases.order_by("id").values_list(*EXPORT_HEADER).iterator()
    return _csv(EXPORT_HEADER, rows)


def _html(value: str) -> str:
    return html.escape(value).replace("\n", "<br>")


def deck_apkg(deck: Deck) -> bytes:
    """An Anki package (collection.anki2, schema 11) that every Anki version opens."""
    anki_deck = genanki.Deck(ANKI_DECK_BASE_ID + deck.pk, deck.name)
    production = Card.objects.filter(phrase=OuterRef("pk"), direction=Direction.PRODUCTION)
    phrases = deck.phrases.order_by("id").annotate(two_way=Exists(production))
    columns = ("pk", "front", "back", "example", "notes", "tags", "two_way")
    for pk, front, back, example, notes, tags, two_way in phrases.values_list(*columns).iterator():
        anki_deck.add_note(
            genanki.Note(
                model=ANKI_REVERSED_MODEL if two_way else ANKI_MODEL,
                fields=[_html(front), _html(back), _html(example), _html(notes)],
                tags=tags.split(),
                guid=genanki.guid_for("phraseweaver", pk),
            )
        )
    # Written in memory: genanki's own write_to_file leaves a temporary file behind.
    db = sqlite3.connect(":memory:")
    try:
        now = time.time()
        genanki.Package(anki_deck).write_to_db(db.cursor(), now, itertools.count(int(now * 1000)))
        db.commit()
        collection = db.serialize()
    finally:
        db.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", collection)
        archive.writestr("media", "{}")
    return out.getvalue()


def user_archive(user: User) -> bytes:
    """Everything the learner has here, as the zip write_user_archive writes."""
    out = io.BytesIO()
    write_user_archive(user, out)
    return out.getvalue()


def write_user_archive(
    user: User, out: IO[bytes], written: Callable[[], object] | None = None
) -> None:
    """Write a zip of everything the learner has here into `out`: settings, decks, phrases,
    cards, reviews and the phrases' media files (five queries). `written` is called after each
    file of the zip (the export task renews its lease there)."""
    decks = Deck.objects.for_user(user).order_by("id").values_list(*DECK_COLUMNS)
    phrases = Phrase.objects.for_user(user).order_by("id").values_list(*PHRASE_COLUMNS)
    cards = Card.objects.for_user(user).order_by("id").values_list(*CARD_COLUMNS)
    reviews = ReviewLog.objects.filter(user=user).order_by("id").values_list(*REVIEW_COLUMNS)
    account = {
        "telegram_id": user.telegram_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "time_zone": user.time_zone,
        "interface_language": user.interface_language,
        "desired_retention": user.desired_retention,
        "new_cards_per_day": user.new_cards_per_day,
        "reviews_per_day": user.reviews_per_day,
        "exported_at": timezone.now().isoformat(),
    }
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("account.json", json.dumps(account, ensure_ascii=False, indent=2))
        for name, header, rows in (
            ("decks.csv", DECK_COLUMNS, decks),
            ("phrases.csv", PHRASE_COLUMNS, phrases),
            ("cards.csv", CARD_COLUMNS, cards),
            ("reviews.csv", REVIEW_COLUMNS, reviews),
        ):
            # Streamed row by row into the zip: no file of the archive is held whole.
            with (
                archive.open(name, "w") as member,
                io.TextIOWrapper(member, encoding="utf-8", newline="") as text,
            ):
                writer = csv.writer(text)
                writer.writerow(header)
                for row in rows.iterator(chunk_size=2000):
                    writer.writerow([neutralise(value) for value in row])
            if written is not None:
                written()
        media = phrases.exclude(image="", audio="").values_list("image", "audio")
        for name in (name for pair in media.iterator(chunk_size=2000) for name in pair if name):
            _write_media(archive, name)
            if written is not None:
                written()


def _write_media(archive: zipfile.ZipFile, name: str) -> None:
    """One stored file into the zip as it is (pictures and MP3s are compressed already)."""
    member = zipfile.ZipInfo(f"media/{name}", date_time=time.gmtime()[:6])
    member.compress_type = zipfile.ZIP_STORED
    try:
        with default_storage.open(name) as source, archive.open(member, "w") as target:
            shutil.copyfileobj(source, target)
    except FileNotFoundError:
        return  # gone from storage: the phrase's row still names it
