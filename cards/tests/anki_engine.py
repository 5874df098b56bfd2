"""Run by the `anki` tests under .cache/anki-venv's python (Anki's own engine, PyPI `anki`),
never imported by the suite. Prints one JSON object on stdout.

    anki_engine.py facts PACKAGE   import PACKAGE into a new collection as Anki's "Import"
                                   does (with scheduling) and print what Anki made of it
    anki_engine.py text FILE       import a text file as Anki's "Import" does, guessing
                                   nothing the file's headers say; the notes it made
    anki_engine.py make PACKAGE    write a legacy-format package made by Anki's engine: Basic
                                   notes, history from Anki's scheduler, a suspended card, a
                                   picture
"""

import json
import os
import sys
import tempfile
import time
import zipfile

from anki.collection import (
    Collection,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from anki.decks import DeckId

DAY = 86_400


def check(col):
    """What Anki's "Check Database" finds to mend: nothing, on a sound collection."""
    return list(col._backend.check_database())


def facts(package):
    directory = tempfile.mkdtemp()
    # Our package's collection as it is, opened by Anki (which upgrades its schema).
    with zipfile.ZipFile(package) as archive:
        archive.extract("collection.anki2", directory)
    raw = Collection(os.path.join(directory, "collection.anki2"))
    raw_problems = check(raw)
    raw.close()

    col = Collection(os.path.join(directory, "learner.anki2"))
    options = ImportAnkiPackageOptions(with_scheduling=True, with_deck_configs=True)
    col.import_anki_package(ImportAnkiPackageRequest(package_path=package, options=options))
    today = col.sched.today
    now = int(time.time())
    notes = []
    for nid in sorted(col.find_notes("")):
        note = col.get_note(nid)
        cards = []
        for card in sorted(note.cards(), key=lambda card: card.ord):
            if card.queue == 1:  # learning today: due is a moment
                due = (card.due - now) / DAY
            elif card.type == 0:  # new: due is the position
                due = None
            else:
                due = card.due - today
            memory = card.memory_state
            cards.append(
                {
                    "ord": card.ord,
                    "type": card.type,
                    "queue": card.queue,
                    "due_in_days": due,
                    "interval": card.ivl,
                    "reps": card.reps,
                    "lapses": card.lapses,
                    "suspended": card.queue == -1,
                    "stability": memory.stability if memory else None,
                    "difficulty": memory.difficulty if memory else None,
                    "revlog": col.db.scalar("select count() from revlog where cid = ?", card.id),
                    "deck": col.decks.name(card.did),
                }
            )
        notes.append(
            {
                "notetype": note.note_type()["name"],
                "fields": dict(note.items()),
                "tags": sorted(note.tags),
                "cards": cards,
            }
        )
    media_check = col.media.check()
    result = {
        "notes": notes,
        # The day Anki counts due days from, which starts at its rollover (04:00 by default):
        # between midnight and then, the day before the calendar's.
        "today": time.strftime("%Y-%m-%d", time.localtime(col.sched.day_cutoff - 86_400)),
        "revlog": col.db.scalar("select count() from revlog"),
        "media": sorted(os.listdir(col.media.dir())),
        "missing_media": list(media_check.missing),
        "check_database": check(col),
        "check_database_package": raw_problems,
    }
    col.close()
    return result


def text(path):
    col = Collection(os.path.join(tempfile.mkdtemp(), "learner.anki2"))
    metadata = col.get_csv_metadata(path=path, delimiter=None)
    col.import_csv(ImportCsvRequest(path=path, metadata=metadata))
    notes = []
    for nid in sorted(col.find_notes("")):
        note = col.get_note(nid)
        deck = col.decks.name(note.cards()[0].did)
        notes.append({"fields": dict(note.items()), "tags": sorted(note.tags), "deck": deck})
    result = {
        "html": metadata.is_html,
        "columns": list(metadata.column_labels),
        "notes": notes,
        "check_database": check(col),
    }
    col.close()
    return result


def make(package):
    directory = tempfile.mkdtemp()
    col = Collection(os.path.join(directory, "made.anki2"))
    deck_id = DeckId(col.decks.id("Made by Anki"))
    basic = col.models.by_name("Basic")
    picture = os.path.join(directory, "cat.png")
    with open(picture, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    picture_name = col.media.add_file(picture)
    made = []
    for n, (front, back, notetype) in enumerate(
        [
            ("casa", "house", basic),
            ("perro", "dog", basic),
            ("gato", f'cat<br><img src="{picture_name}">', basic),
        ]
    ):
        note = col.new_note(notetype)
        note["Front"], note["Back"] = front, back
        note.tags = [f"t{n}"]
        col.add_note(note, deck_id)
        made.append(note)
    # History from Anki's own scheduler: the first card answered Good twice, the second Again
    # then Good; the third is suspended, new.
    for note, ratings in ((made[0], (3, 3)), (made[1], (1, 3))):
        for rating in ratings:
            card = col.get_card(note.cards()[0].id)
            card.start_timer()
            col.sched.answerCard(card, rating)
    col.sched.suspend_cards([made[2].cards()[0].id])
    col.export_anki_package(
        out_path=package,
        options=ExportAnkiPackageOptions(
            with_scheduling=True, with_deck_configs=True, with_media=True, legacy=True
        ),
        limit=None,
    )
    col.close()
    return {"package": package}


if __name__ == "__main__":
    command, path = sys.argv[1:3]
    print(
        json.dumps({"facts": facts, "text": text, "make": make}[command](path), ensure_ascii=False)
    )
