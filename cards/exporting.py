"""Exporting: a deck as CSV or as an Anki package, and all of a learner's data as one zip."""

import csv
import hashlib
import html
import io
import itertools
import json
import re
import shutil
import sqlite3
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import genanki
from django.core.files.storage import default_storage
from django.db.models import Count, Exists, FloatField, Func, Min, OuterRef
from django.utils import timezone

from accounts.models import User
from cards.importing.formats import EXPORT_HEADER, FORMULA_STARTS
from cards.models import Card, Deck, Direction, ImageSide, Phrase, ReviewLog, State

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
# The columns of the text file for Anki, named as the note type's fields (and the tags).
ANKI_TEXT_COLUMNS = ("Front", "Back", "Example", "Notes", "Tags")


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_deck_csv(deck: Deck, out: IO[bytes]) -> None:
    """UTF-8 CSV for spreadsheets, with a header, a phrase a row, formulas neutralised;
    importing it into a deck gives the same phrases back."""
    rows = deck.phrases.order_by("id").values_list(*EXPORT_HEADER).iterator(chunk_size=2000)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    text.detach()  # `out` stays open for the caller


def write_deck_anki_text(deck: Deck, out: IO[bytes]) -> None:
    """Anki's own text format: headers that tell Anki the separator, that fields are HTML, the
    columns and the deck, so that nothing is guessed; fields HTML-escaped, tab-separated."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    # A deck name is one line; Anki reads "::" in it as a subdeck, as the learner meant.
    name = " ".join(deck.name.split())
    text.write(
        "#separator:tab\n#html:true\n"
        f"#columns:{chr(9).join(ANKI_TEXT_COLUMNS)}\n"
        f"#tags column:{len(ANKI_TEXT_COLUMNS)}\n#deck:{name}\n"
    )
    writer = csv.writer(text, delimiter="\t", lineterminator="\n")
    rows = deck.phrases.order_by("id").values_list(*EXPORT_HEADER).iterator(chunk_size=2000)
    for front, back, example, notes, tags in rows:
        writer.writerow([_html(front), _html(back), _html(example), _html(notes), tags])
    text.detach()  # `out` stays open for the caller


def _html(value: str) -> str:
    return html.escape(value).replace("\r\n", "\n").replace("\n", "<br>")


def download_name(name: str, extension: str) -> tuple[str, str]:
    """The file name a download is saved as, readable (accents, Cyrillic, emoji kept), and its
    ASCII stand-in for the clients that ignore RFC 6266's filename*."""
    # Only what a file system refuses or a header cannot carry goes: separators, controls.
    readable = "".join(
        " " if char in '/\\:*?"<>|' or unicodedata.category(char)[0] == "C" else char
        for char in name
    )
    readable = " ".join(readable.split()).strip(". ") or "deck"
    plain = unicodedata.normalize("NFKD", readable).encode("ascii", "ignore").decode()
    plain = "_".join(re.sub(r"[^-\w.() ]", "", plain).split()).strip("._") or "deck"
    return f"{readable}.{extension}", f"{plain}.{extension}"


def content_disposition(name: str, extension: str) -> str:
    """An attachment header with both names (RFC 6266, RFC 5987 encoding)."""
    readable, plain = download_name(name, extension)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(readable, safe='')}"


def write_deck_apkg(deck: Deck, out: IO[bytes], *, now: datetime | None = None) -> None:
    """The deck as an Anki package (collection.anki2, schema 11, which every Anki opens) that
    carries the schedule: each card's due date, interval, FSRS memory state and suspension, the
    review history, and the phrases' pictures and sounds. A phrase is one note; learned both
    ways it is a note of the reversed type with both cards. Built in a temporary directory
    and streamed into `out`: nothing of the deck is held whole in memory."""
    now = now or timezone.now()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "collection.anki2"
        db = sqlite3.connect(path)
        try:
            media = _AnkiCollection(db, deck, now).write()
            db.commit()
        finally:
            db.close()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, "collection.anki2")
            # Anki's legacy media list: zip member "0" is the file the notes call media[0].
            written: dict[str, str] = {}
            for name in media:
                if _write_media(archive, name, str(len(written))):
                    written[str(len(written))] = _media_name(name)
            archive.writestr("media", json.dumps(written))


def _media_name(name: str) -> str:
    """Stored names are users/<id>/<kind>/<random>.<ext>; Anki's media folder is flat."""
    return name.rsplit("/", 1)[-1]


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class _AnkiCollection:
    """Writes one deck into an empty schema-11 collection (genanki writes the note types and
    the deck; notes, cards and the revlog are inserted here, as Anki stores them)."""

    def __init__(self, db: sqlite3.Connection, deck: Deck, now: datetime) -> None:
        self.db = db
        self.deck = deck
        self.deck_id = ANKI_DECK_BASE_ID + deck.pk
        owner = deck.owner
        self.tz = owner.tz
        self.retention = round(owner.desired_retention, 2)
        self.now = now
        self.today = timezone.localtime(now, self.tz).date()
        earliest = deck.cards.aggregate(first=Min("due"))["first"] or now
        # Anki counts review days from the collection's creation (crt); it is put at a local
        # midnight before every due date, so that no card's day number is negative.
        self.crt_day = min(self.today, timezone.localtime(earliest, self.tz).date())
        self.crt = _epoch(datetime.combine(self.crt_day, dt_time.min, tzinfo=self.tz))
        self.tomorrow = _epoch(
            datetime.combine(self.today + timedelta(days=1), dt_time.min, tzinfo=self.tz)
        )
        self.ids = _Ids()
        self.listening_only: list[int] = []

    def write(self) -> list[str]:
        """Write everything; the names of the media files the notes refer to."""
        cursor = self.db.cursor()
        anki_deck = genanki.Deck(self.deck_id, self.deck.name)
        anki_deck.add_model(ANKI_MODEL)
        anki_deck.add_model(ANKI_REVERSED_MODEL)
        genanki.Package(anki_deck).write_to_db(cursor, self.now.timestamp(), itertools.count(1))
        cursor.execute("UPDATE col SET crt = ?", (self.crt,))
        cursor.execute("CREATE TEMP TABLE pw_card (pk INTEGER PRIMARY KEY, cid, due, d)")
        notes, media = self._notes(cursor)
        self._cards(cursor, notes)
        self._revlog(cursor)
        return media

    def _notes(self, cursor: sqlite3.Cursor) -> tuple[dict[int, int], list[str]]:
        recognition = Card.objects.filter(phrase=OuterRef("pk"), direction=Direction.RECOGNITION)
        production = Card.objects.filter(phrase=OuterRef("pk"), direction=Direction.PRODUCTION)
        phrases = self.deck.phrases.order_by("id").annotate(
            one_way=Exists(recognition), two_way=Exists(production)
        )
        columns = (
            "pk", "front", "back", "example", "notes", "tags", "image", "image_side", "audio",
            "created", "one_way", "two_way",
        )  # fmt: skip
        notes: dict[int, int] = {}
        media: list[str] = []
        rows = []
        for row in phrases.values_list(*columns).iterator(chunk_size=2000):
            pk, front, back, example, notes_text, tags, image, side, audio = row[:9]
            created, one_way, two_way = row[9:]
            fields = [_html(front), _html(back), _html(example), _html(notes_text)]
            if image:
                media.append(image)
                fields[0 if side == ImageSide.FRONT else 1] += (
                    f'<br><img src="{html.escape(_media_name(image))}">'
                )
            if audio:
                media.append(audio)
                fields[0] += f"[sound:{_media_name(audio)}]"
            nid = self.ids.next(created)
            notes[pk] = nid
            model = ANKI_REVERSED_MODEL if two_way else ANKI_MODEL
            sort_field = _plain(fields[0])
            checksum = int(hashlib.sha1(sort_field.encode()).hexdigest()[:8], 16)
            tag_text = f" {' '.join(tags.split())} " if tags.split() else ""
            rows.append(
                (nid, genanki.guid_for("phraseweaver", pk), model.model_id, _epoch(self.now),
                 -1, tag_text, "\x1f".join(fields), sort_field, checksum, 0, "")
            )  # fmt: skip
            if not (one_way or two_way):
                # Learned here by listening only: Anki has no such card; it comes as a new one.
                self.listening_only.append(nid)
            if len(rows) >= 2000:
                cursor.executemany(NOTE_INSERT, rows)
                rows = []
        cursor.executemany(NOTE_INSERT, rows)
        return notes, media

    def _cards(self, cursor: sqlite3.Cursor, notes: dict[int, int]) -> None:
        cards = (
            self.deck.cards.exclude(direction=Direction.LISTENING)
            .order_by("phrase_id", "id")
            .annotate(reps=Count("reviews"))
        )
        columns = (
            "pk", "phrase_id", "direction", "created", "suspended", "state", "stability",
            "difficulty", "due", "last_review", "reps", "lapses",
        )  # fmt: skip
        positions = {nid: position for position, nid in enumerate(notes.values(), start=1)}
        rows = []
        staged = []
        for row in cards.values_list(*columns).iterator(chunk_size=2000):
            pk, phrase_id, direction, created, suspended, state = row[:6]
            stability, difficulty, due, last_review, reps, lapses = row[6:]
            nid = notes[phrase_id]
            cid = self.ids.next(created)
            ordinal = 1 if direction == Direction.PRODUCTION else 0
            kind, queue, anki_due, interval, factor, data = self._schedule(
                state, stability, difficulty, due, last_review
            )
            if last_review is None:
                anki_due = positions[nid]
            if suspended:
                queue = -1
            rows.append(
                (cid, nid, self.deck_id, ordinal, _epoch(self.now), kind, queue, anki_due,
                 interval, factor, reps, lapses, 1 if kind in (1, 3) else 0, data)
            )  # fmt: skip
            staged.append((pk, cid, _epoch(due), difficulty))
            if len(rows) >= 2000:
                self._insert_cards(cursor, rows, staged)
                rows, staged = [], []
        self._insert_cards(cursor, rows, staged)
        new = [
            (self.ids.next(self.now), nid, self.deck_id, 0, _epoch(self.now), 0, 0,
             positions[nid], 0, 0, 0, 0, 0, "{}")
            for nid in self.listening_only
        ]  # fmt: skip
        self._insert_cards(cursor, new, [])

    @staticmethod
    def _insert_cards(
        cursor: sqlite3.Cursor,
        rows: list[tuple[Any, ...]],
        staged: list[tuple[int, int, int, float | None]],
    ) -> None:
        cursor.executemany(
            "INSERT INTO cards VALUES (?, ?, ?, ?, ?, -1, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?)", rows
        )
        cursor.executemany("INSERT INTO pw_card VALUES (?, ?, ?, ?)", staged)

    def _schedule(
        self,
        state: int,
        stability: float | None,
        difficulty: float | None,
        due: datetime,
        last_review: datetime | None,
    ) -> tuple[int, int, int, int, int, str]:
        """Anki's (type, queue, due, interval, ease factor, data) for one card."""
        if last_review is None:
            return 0, 0, 0, 0, 0, "{}"
        # Anki's last review time, in seconds: every reviewed card has it, memory state or not.
        memory: dict[str, float] = {"lrt": _epoch(last_review)}
        if stability is not None and difficulty is not None:
            memory.update(s=round(stability, 3), d=round(difficulty, 3), dr=self.retention)
        data = json.dumps(memory, separators=(",", ":"))
        due_day = (timezone.localtime(due, self.tz).date() - self.crt_day).days
        days = (
            timezone.localtime(due, self.tz).date()
            - timezone.localtime(last_review, self.tz).date()
        ).days
        if state == State.REVIEW:
            return 2, 2, due_day, max(days, 1), 2500, data
        kind = 1 if state == State.LEARNING else 3
        interval = max(days, 1) if state == State.RELEARNING else 0
        if _epoch(due) < self.tomorrow:
            # Due today: Anki's intraday learning queue, due at a moment.
            return kind, 1, _epoch(due), interval, 2500, data
        return kind, 3, due_day, interval, 2500, data

    def _revlog(self, cursor: sqlite3.Cursor) -> None:
        cursor.execute(
            "CREATE TEMP TABLE pw_review (id INTEGER PRIMARY KEY, card, ease, time, state, due, d)"
        )
        reviews = (
            ReviewLog.objects.filter(card__deck=self.deck)
            .exclude(card__direction=Direction.LISTENING)
            .order_by("reviewed_at", "id")
            .annotate(at=Epoch("reviewed_at"), due=Epoch("due_before"))
            .values_list(
                "card_id", "rating", "at", "duration_ms", "state_before", "due",
                "difficulty_before",
            )
        )  # fmt: skip
        ids = _Ids()
        rows = []
        for card, rating, at, duration, state, due, d in reviews.iterator(chunk_size=5000):
            rows.append(
                (ids.next(at), card, rating, min(duration or 0, 60_000), state, int(due), d)
            )
            if len(rows) >= 5000:
                cursor.executemany("INSERT INTO pw_review VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                rows = []
        cursor.executemany("INSERT INTO pw_review VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        cursor.execute(REVLOG_INSERT)


class Epoch(Func):
    """A datetime column as seconds since 1970, computed by the database: parsing a deck's
    hundred thousand datetimes in Python was most of an export's time."""

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps datetimes as UTC text; julianday() reads them to the microsecond.
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


class _Ids:
    """Anki's ids are creation times in milliseconds, and unique: the next one after the last
    when two things happened in the same millisecond."""

    def __init__(self) -> None:
        self.last = 0

    def next(self, moment: datetime | float) -> int:
        seconds = moment.timestamp() if isinstance(moment, datetime) else moment
        # Rounded: SQLite's julianday() arithmetic gives 10:00:00 as 09:59:59.9999…
        self.last = max(round(seconds * 1000), self.last + 1)
        return self.last


def _plain(field: str) -> str:
    """Anki's sort field: the first field without its markup."""
    return html.unescape(re.sub(r"<[^>]*>|\[sound:[^\]]*\]", " ", field)).strip()


NOTE_INSERT = "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# What a review scheduled is the state before the next review of the card (or the card's
# now): its interval, in days from a day on and in negative seconds below (as Anki's revlog
# has them), and for FSRS the difficulty it left, times 100 (Anki's factor). The last
# interval is the previous review's.
REVLOG_INSERT = """
INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)
SELECT id, cid, -1, ease, ivl, coalesce(lag(ivl) OVER (PARTITION BY cid ORDER BY id), 0),
    factor, time, type
FROM (
    SELECT id, cid, ease, time,
        CASE WHEN gap >= 86400 THEN CAST(round(gap / 86400.0) AS INTEGER) ELSE -gap END AS ivl,
        coalesce(CAST(round(d * 100) AS INTEGER), 0) AS factor,
        CASE state WHEN 1 THEN 0 WHEN 2 THEN 1 ELSE 2 END AS type
    FROM (
        SELECT r.id, c.cid, r.ease, r.time, r.state,
            max(0, coalesce(lead(r.due) OVER next, c.due) - r.id / 1000) AS gap,
            coalesce(lead(r.d) OVER next, c.d) AS d
        FROM pw_review r JOIN pw_card c ON c.pk = r.card
        WINDOW next AS (PARTITION BY r.card ORDER BY r.id)
    )
)
"""


# format: (content type, extension, writer). "csv" is for spreadsheets (formulas neutralised),
# "anki" Anki's own text format (with the headers that make Anki guess nothing).
DECK_FORMATS: dict[str, tuple[str, str, Callable[[Deck, IO[bytes]], None]]] = {
    "csv": ("text/csv; charset=utf-8", "csv", write_deck_csv),
    "anki": ("text/plain; charset=utf-8", "txt", write_deck_anki_text),
    "apkg": ("application/octet-stream", "apkg", write_deck_apkg),
}


def deck_file(deck: Deck, kind: str) -> bytes:
    """The deck's export of `kind` (a key of DECK_FORMATS), in memory."""
    _content_type, _extension, write = DECK_FORMATS[kind]
    out = io.BytesIO()
    write(deck, out)
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
            _write_media(archive, name, f"media/{name}")
            if written is not None:
                written()


def _write_media(archive: zipfile.ZipFile, name: str, member_name: str) -> bool:
    """One stored file into the zip as it is (pictures and MP3s are compressed already);
    False when it is gone from storage (the phrase's row still names it)."""
    member = zipfile.ZipInfo(member_name, date_time=time.gmtime()[:6])
    member.compress_type = zipfile.ZIP_STORED
    try:
        with default_storage.open(name) as source, archive.open(member, "w") as target:
            shutil.copyfileobj(source, target)
    except FileNotFoundError:
        return False
    return True
