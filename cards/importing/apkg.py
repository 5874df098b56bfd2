"""Reading Anki packages (.apkg/.colpkg) and bare collections, all three generations.

A package is a zip holding the collection as SQLite: `collection.anki2` (schema 11, Anki 2.0),
`collection.anki21` (schema 11, Anki 2.1) or `collection.anki21b` (zstd-compressed, schema 18,
Anki 2.1.50 and later; such packages also hold a dummy collection.anki2 telling old versions to
upgrade). The collection is unpacked, with its size bounded as it is written, into a temporary
file of ours (never a path named by the upload) and opened read-only from there: memory holds
SQLite's page cache and what is read, never the whole collection, so a package that unpacks to
200 MB costs a worker a few MB, however many previews run at once.
"""

import io
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeAlias

import zstandard
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.importing.formats import (
    ColumnMapping,
    ImportRefused,
    Review,
    Row,
    Source,
    html_to_text,
    refuse_too_many_rows,
    without_nul,
)

APKG_MAPPING: ColumnMapping = {"front": 0, "back": 1, "notes": 2, "example": 3}
# Note type id → (whether it is a cloze type, its field names); deck id → its path of names.
Notetypes: TypeAlias = dict[int, tuple[bool, list[str]]]
DeckPaths: TypeAlias = dict[int, list[str]]
# What a note becomes: (the card's ord in the note, its front, back, notes and example).
MadeCards: TypeAlias = list[tuple[int, list[str]]]
ZIP_MAGIC = b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
NOT_MEDIA = {*COLLECTIONS, "media", "meta"}
# A package may unpack to this many times the upload limit (media compress little; a zip
# bomb compresses a thousandfold), in at most this many entries.
UNPACKED_FACTOR = 20
MAX_ENTRIES = 100_000
CHUNK = 1 << 20
# zstd's decompressor holds a window as large as the frame asks for (up to 128 MB by default):
# 8 MB is what zstd's levels up to 19 use, Anki's included.
MAX_ZSTD_WINDOW = 1 << 23
# Bytes 18 and 19 of an SQLite header: the file format versions, 2 for a database in WAL mode
# (Anki's own collections are). Our copy has no -wal file beside it, so it is made a plain
# rollback-journal database (1) and opened immutable: nothing to recover, nothing to lock.
FORMAT_VERSIONS = slice(18, 20)
LEGACY_SCHEMA = 11
MODERN_SCHEMAS = range(15, 19)
# At most nine digits: a longer number is not a cloze (and int() refuses 4,300 digits).
CLOZE = re.compile(r"\{\{c([0-9]{1,9})::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
# Anki's review types: 0 learn, 1 review, 2 relearn, 3 filtered; 4 manual, 5 rescheduled
# are not reviews. Ease 0 marks a manual change; any other ease is checked.
REVIEW_LOG_QUERY = (
    "SELECT cid, id, ease, time FROM revlog WHERE type < 4 AND ease != 0 ORDER BY cid, id"
)
# Each cloze number reads the whole text again: a note of 5,000 clozes in 80 KB took 86 s.
# Clozes × characters above this skip the note (10 clozes in 200 KB, 100 in 20 KB).
MAX_CLOZE_WORK = 2_000_000
GRADES = (1, 2, 3, 4)
# A longer answer time (ms) is not one: the review is kept without a duration.
MAX_DURATION_MS = 24 * 3600 * 1000


def not_a_package() -> ImportRefused:
    return ImportRefused(_("This file is not a valid Anki package (.apkg)."))


def damaged(problem: str) -> ImportRefused:
    return ImportRefused(
        _("This Anki collection is damaged: %(problem)s. Anki’s Check Database may repair it.")
        % {"problem": problem}
    )


def _text(value: object) -> str | None:
    """A text column's value (NULs stripped, as everywhere), or None when it is not text: a
    file is untrusted data, and SQLite lets any column hold NULL, a number or a blob."""
    return without_nul(value) if isinstance(value, str) else None


def read_package(data: bytes, *, max_rows: int) -> Source:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise not_a_package() from None
    limit = settings.IMPORT_MAX_BYTES * UNPACKED_FACTOR
    # Before anything is expanded: the sizes the zip declares (reading never yields more).
    if len(entries) > MAX_ENTRIES or sum(entry.file_size for entry in entries) > limit:
        raise too_large_unpacked()
    names = {entry.filename for entry in entries}
    name = next((name for name in COLLECTIONS if name in names), None)
    if name is None:
        raise ImportRefused(_("This zip file holds no Anki collection."))
    with _temporary_collection() as path:
        try:
            with archive.open(name) as member:
                compressed = member.read(len(ZSTD_MAGIC)) == ZSTD_MAGIC
            with archive.open(name) as member, path.open("wb") as out:
                if compressed:
                    _unzstd(member, out, limit)
                else:
                    _copy(member, out, limit)
        # RuntimeError: an encrypted entry (Anki never writes one).
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            ValueError,
            NotImplementedError,
            RuntimeError,
        ):
            raise not_a_package() from None
        source = _read_file(path, max_rows)
    source.media_count = sum(1 for name in names if name not in NOT_MEDIA)
    return source


def too_large_unpacked() -> ImportRefused:
    return ImportRefused(_("The package unpacks to too many or too large files."))


@contextmanager
def _temporary_collection() -> Iterator[Path]:
    """A path in a directory of our own, removed afterwards with whatever SQLite left there."""
    directory = tempfile.mkdtemp(prefix="pw-apkg-")
    try:
        yield Path(directory) / "collection.db"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _copy(source: IO[bytes], out: IO[bytes], limit: int) -> None:
    """Copy in chunks; more than `limit` bytes is refused as soon as it is read."""
    written = 0
    while chunk := source.read(CHUNK):
        written += len(chunk)
        if written > limit:
            raise too_large_unpacked()
        out.write(chunk)


def _unzstd(compressed: IO[bytes], out: IO[bytes], limit: int) -> None:
    try:
        decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_ZSTD_WINDOW)
        with decompressor.stream_reader(compressed) as reader:
            _copy(reader, out, limit)
    except zstandard.ZstdError:
        raise not_a_package() from None


def read_collection(data: bytes, *, max_rows: int) -> Source:
    """A bare collection file (already within the upload limit)."""
    with _temporary_collection() as path:
        path.write_bytes(data)
        return _read_file(path, max_rows)


def _read_file(path: Path, max_rows: int) -> Source:
    with path.open("r+b") as file:
        header = file.read(len(SQLITE_MAGIC) + 4)
        if not header.startswith(SQLITE_MAGIC):
            raise not_a_package()
        if header[FORMAT_VERSIONS] == b"\x02\x02":
            file.seek(FORMAT_VERSIONS.start)
            file.write(b"\x01\x01")
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        raise not_a_package() from None
    try:
        # Anki 2.1.50+ declares its name columns and their indexes with this collation.
        db.create_collation("unicase", _unicase)
        # Nothing in an untrusted file may run our code or write: plain reads only.
        db.execute("PRAGMA trusted_schema = OFF")
        db.execute("PRAGMA query_only = ON")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise not_a_package()
        return _read(db, max_rows)
    except sqlite3.DatabaseError:
        raise not_a_package() from None
    finally:
        db.close()


def _unicase(left: str, right: str) -> int:
    """Anki's `unicase`: Unicode case-insensitive comparison."""
    left, right = left.casefold(), right.casefold()
    return (left > right) - (left < right)


def _read(db: sqlite3.Connection, max_rows: int) -> Source:
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"col", "notes", "cards", "revlog"} <= tables:
        raise ImportRefused(_("This database is not an Anki collection."))
    col = db.execute("SELECT ver FROM col").fetchone()
    if col is None:
        raise damaged(_("it has no collection record"))
    (version,) = col
    if version == LEGACY_SCHEMA:
        notetypes, decks = _legacy_notetypes(db)
    elif version in MODERN_SCHEMAS and {"notetypes", "fields", "decks"} <= tables:
        notetypes, decks = _modern_notetypes(db)
    else:
        raise ImportRefused(
            _("This Anki collection has a format (schema %(version)s) PhraseWeaver does not know.")
            % {"version": version}
        )
    (note_count,) = db.execute("SELECT count(*) FROM notes").fetchone()
    if note_count > max_rows:
        raise refuse_too_many_rows(max_rows)
    source = _rows(db, notetypes, decks)
    if len(source.rows) > max_rows:  # cloze notes make several rows
        raise refuse_too_many_rows(max_rows)
    return source


def _legacy_notetypes(db: sqlite3.Connection) -> tuple[Notetypes, DeckPaths]:
    models_json, decks_json = db.execute("SELECT models, decks FROM col").fetchone()
    try:
        models, decks = json.loads(models_json), json.loads(decks_json)
        notetypes = {
            int(mid): (
                model.get("type") == 1,
                _field_names(field["name"] for field in model["flds"]),
            )
            for mid, model in models.items()
        }
        names = {int(did): _deck_path(deck["name"], "::") for did, deck in decks.items()}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise not_a_package() from None
    return notetypes, names


def _field_names(names: Iterable[object]) -> list[str]:
    texts = [_text(name) for name in names]
    if None in texts:
        raise damaged(_("a field of a note type has no name"))
    return [name for name in texts if name is not None]


def _deck_path(name: object, separator: str) -> list[str]:
    text = _text(name)
    if text is None:
        raise damaged(_("a deck has no name"))
    return text.split(separator)


def _modern_notetypes(db: sqlite3.Connection) -> tuple[Notetypes, DeckPaths]:
    fields: defaultdict[int, list[object]] = defaultdict(list)
    for ntid, name in db.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields[ntid].append(name)
    notetypes = {
        ntid: (_is_cloze(config), _field_names(fields[ntid]))
        for ntid, config in db.execute("SELECT id, config FROM notetypes")
    }
    decks = {
        did: _deck_path(name, "\x1f") for did, name in db.execute("SELECT id, name FROM decks")
    }
    return notetypes, decks


def _is_cloze(config: object) -> bool:
    """Whether a note type's config (protobuf NotetypeConfig, or nothing) says cloze."""
    if config is None:
        return False
    if not isinstance(config, bytes):
        raise damaged(_("a note type’s settings are unreadable"))
    return _protobuf_varint(config, 1) == 1


def _protobuf_varint(message: bytes, wanted: int) -> int:
    """The varint field `wanted` of a protobuf message (NotetypeConfig.kind: 1 is cloze)."""
    position = 0

    def varint() -> int:
        nonlocal position
        value, shift = 0, 0
        while position < len(message):
            byte = message[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
        raise ValueError("truncated varint")

    try:
        while position < len(message):
            key = varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                value = varint()
                if number == wanted:
                    return value
            elif wire == 2:
                position += varint()
            elif wire == 1:
                position += 8
            elif wire == 5:
                position += 4
            else:
                return 0
    except ValueError:
        return 0
    return 0


def _rows(db: sqlite3.Connection, notetypes: Notetypes, decks: DeckPaths) -> Source:
    # (note id, ord) → (card id, deck id, suspended)
    cards: dict[tuple[int, int], tuple[int, int, bool]] = {}
    for cid, nid, did, ord_, queue in db.execute("SELECT id, nid, did, ord, queue FROM cards"):
        cards[nid, ord_] = (cid, did, queue == -1)
    history = _history(db)
    paths = {did for _cid, did, _suspended in cards.values()}
    root = _common_prefix([decks.get(did, []) for did in paths])
    source = Source(format="apkg", rows=[], mapping=APKG_MAPPING)
    source.deck_name = "::".join(root)
    notes = db.execute("SELECT id, mid, tags, flds FROM notes ORDER BY id")
    for number, (nid, mid, raw_tags, raw_flds) in enumerate(notes, start=1):
        is_cloze, names = notetypes.get(mid, (False, []))
        tags, flds = _text(raw_tags), _text(raw_flds)
        if tags is None or flds is None:
            source.skipped.append((number, _("the note’s fields or tags are not text")))
            continue
        values = flds.split("\x1f")
        made = _cloze_cards(values) if is_cloze else _basic_cards(values, names)
        if isinstance(made, str):
            source.skipped.append((number, made))
            continue
        if not made:
            source.skipped.append((number, _("a note of this type cannot become a card")))
        for ord_, fields in made:
            row = Row(line=number, fields=fields, tags=" ".join(tags.split()))
            card = cards.get((nid, ord_))
            if card is not None:  # None: no such card in the collection; the defaults stand
                cid, did, row.suspended = card
                row.subdeck = "::".join(decks.get(did, root)[len(root) :])
                row.history = history.get(cid, [])
            source.rows.append(row)
    source.has_history = bool(history)
    source.has_subdecks = any(row.subdeck for row in source.rows)
    return source


def _history(db: sqlite3.Connection) -> defaultdict[object, list[Review]]:
    """Each card's reviews, in order; a review that cannot have happened refuses the file."""
    latest = (timezone.now() + timedelta(days=1)).timestamp() * 1000
    history: defaultdict[object, list[Review]] = defaultdict(list)
    for cid, ms, ease, duration in db.execute(REVIEW_LOG_QUERY):
        if not isinstance(ms, int) or not 0 <= ms <= latest:
            raise damaged(_("a review has an impossible date"))
        if not isinstance(ease, int) or ease not in GRADES:
            raise damaged(_("a review has an unknown grade"))
        if not isinstance(duration, int) or not 0 <= duration <= MAX_DURATION_MS:
            duration = None
        history[cid].append((datetime.fromtimestamp(ms / 1000, UTC), ease, duration))
    return history


def _common_prefix(paths: list[list[str]]) -> list[str]:
    if not paths:
        return []
    prefix = paths[0]
    for path in paths[1:]:
        while path[: len(prefix)] != prefix:
            prefix = prefix[:-1]
    return prefix


def _basic_cards(values: list[str], names: list[str]) -> MadeCards:
    """Front, back, extra from a Basic-like note (Basic, reversed, optional reversed, ours)."""
    if len(values) < 2:
        return []
    lower = [name.lower() for name in names]

    def named(name: str) -> str:
        index = lower.index(name) if name in lower else len(values)
        return html_to_text(values[index]) if index < len(values) else ""

    front, back = html_to_text(values[0]), html_to_text(values[1])
    return [(0, [front, back, named("notes") or named("extra"), named("example")])]


def _cloze_cards(values: list[str]) -> MadeCards | str:
    """One card per cloze number: the text with that gap as the front, its answer as the back;
    or the reason the note is not read."""
    text = values[0]
    extra = html_to_text(values[1]) if len(values) > 1 else ""
    numbers = sorted({int(match[1]) for match in CLOZE.finditer(text)})
    if len(numbers) * len(text) > MAX_CLOZE_WORK:
        return _("the note is too long for its %(count)d clozes") % {"count": len(numbers)}
    made: MadeCards = []
    for number in numbers:

        def gap(match: re.Match[str], number: int = number) -> str:
            if int(match[1]) == number:
                return f"[{match[3]}]" if match[3] else "[…]"
            return match[2]

        answers = [html_to_text(m[2]) for m in CLOZE.finditer(text) if int(m[1]) == number]
        made.append((number - 1, [html_to_text(CLOZE.sub(gap, text)), ", ".join(answers), extra]))
    return made
