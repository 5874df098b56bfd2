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
from html import unescape
from pathlib import Path
from typing import TypeAlias

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.importing.formats import (
    ANKI_SOUND,
    COLUMN_NAMES,
    ColumnMapping,
    ImportedCard,
    ImportRefused,
    NotetypeColumns,
    Review,
    Row,
    Source,
    html_to_text,
    refuse_too_many_rows,
    without_nul,
)
from cards.importing.package_files import (
    IMAGE,
    NOT_MEDIA,
    PackageMedia,
    copy_bounded,
    not_a_package,
    protobuf_varint,
    read_media_list,
    too_large_unpacked,
    unzstd,
)

APKG_MAPPING: ColumnMapping = {"front": 0, "back": 1, "notes": 2, "example": 3}
# Note type id → (whether it is a cloze type, its field names, its card templates' names);
# deck id → its path of names.
Notetypes: TypeAlias = dict[int, tuple[bool, list[str], list[str]]]
DeckPaths: TypeAlias = dict[int, list[str]]
# What a note becomes: (the ords of its cards, their front, back, notes and example).
MadeCards: TypeAlias = list[tuple[list[int], list[str]]]
# A card of the collection: (its id, deck id, ord, suspended, Anki's type, interval, ease, due).
AnkiCardRow: TypeAlias = tuple[int, int, int, bool, int, int, int, int]
# Which of our directions a card of a (not cloze) note type's template becomes, by its ord.
DIRECTIONS = ("recognition", "production")
# Field names that hold a note's picture or sound, never its text (English and Russian).
MEDIA_FIELDS = {"audio", "sound", "image", "picture", "аудио", "звук", "картинка", "изображение"}
# Notes of a type looked at to find its fields that only ever hold a sound or a picture.
SAMPLED_NOTES = 20
DAY_SECONDS = 86_400
ZIP_MAGIC = b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
# A package may unpack to this many times the upload limit (media compress little; a zip
# bomb compresses a thousandfold), in at most this many entries.
UNPACKED_FACTOR = 20
MAX_ENTRIES = 100_000
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
    "SELECT cid, id, ease, time, type, lastIvl, factor FROM revlog"
    " WHERE type < 4 AND ease != 0 ORDER BY cid, id"
)
LEARN = 0  # revlog type of a first review: a card's history that starts with one is whole
REVIEW_CARD = 2  # cards.type of a card in review
# Each cloze number reads the whole text again: a note of 5,000 clozes in 80 KB took 86 s.
# Clozes × characters above this skip the note (10 clozes in 200 KB, 100 in 20 KB).
MAX_CLOZE_WORK = 2_000_000
GRADES = (1, 2, 3, 4)
# A longer answer time (ms) is not one: the review is kept without a duration.
MAX_DURATION_MS = 24 * 3600 * 1000


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
                    unzstd(member, out, limit)
                else:
                    copy_bounded(member, out, limit)
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
        source = _read_file(path, max_rows, read_media_list(archive, names, compressed))
    source.media_count = sum(1 for name in names if name not in NOT_MEDIA)
    return source


@contextmanager
def _temporary_collection() -> Iterator[Path]:
    """A path in a directory of our own, removed afterwards with whatever SQLite left there."""
    directory = tempfile.mkdtemp(prefix="pw-apkg-")
    try:
        yield Path(directory) / "collection.db"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def read_collection(data: bytes, *, max_rows: int) -> Source:
    """A bare collection file (already within the upload limit)."""
    with _temporary_collection() as path:
        path.write_bytes(data)
        return _read_file(path, max_rows)


def _read_file(path: Path, max_rows: int, media: "PackageMedia | None" = None) -> Source:
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
        return _read(db, max_rows, media)
    except sqlite3.DatabaseError:
        raise not_a_package() from None
    finally:
        db.close()


def _unicase(left: str, right: str) -> int:
    """Anki's `unicase`: Unicode case-insensitive comparison."""
    left, right = left.casefold(), right.casefold()
    return (left > right) - (left < right)


def _read(db: sqlite3.Connection, max_rows: int, media: "PackageMedia | None") -> Source:
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
        notetypes, decks = _modern_notetypes(db, "templates" in tables)
    else:
        raise ImportRefused(
            _("This Anki collection has a format (schema %(version)s) PhraseWeaver does not know.")
            % {"version": version}
        )
    (note_count,) = db.execute("SELECT count(*) FROM notes").fetchone()
    if note_count > max_rows:
        raise refuse_too_many_rows(max_rows)
    source = _rows(db, notetypes, decks, media, _notetype_names(db, version))
    if len(source.rows) > max_rows:  # cloze notes make several rows
        raise refuse_too_many_rows(max_rows)
    return source


def _notetype_names(db: sqlite3.Connection, version: int) -> dict[int, str]:
    """Each note type's name, for the preview's field pickers ("" when it has none)."""
    if version != LEGACY_SCHEMA:
        return {
            ntid: _text(name) or "" for ntid, name in db.execute("SELECT id, name FROM notetypes")
        }
    (models_json,) = db.execute("SELECT models FROM col").fetchone()
    models = json.loads(models_json)  # _legacy_notetypes checked it is an object of objects
    return {int(mid): _text(model.get("name")) or "" for mid, model in models.items()}


def _legacy_notetypes(db: sqlite3.Connection) -> tuple[Notetypes, DeckPaths]:
    models_json, decks_json = db.execute("SELECT models, decks FROM col").fetchone()
    try:
        models, decks = json.loads(models_json), json.loads(decks_json)
        notetypes = {
            int(mid): (
                model.get("type") == 1,
                _field_names(field["name"] for field in model["flds"]),
                [str(template.get("name", "")) for template in model.get("tmpls", [])],
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


def _modern_notetypes(db: sqlite3.Connection, has_templates: bool) -> tuple[Notetypes, DeckPaths]:
    fields: defaultdict[int, list[object]] = defaultdict(list)
    for ntid, name in db.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields[ntid].append(name)
    templates: defaultdict[int, list[str]] = defaultdict(list)
    if has_templates:  # only for naming a card that is not imported
        for ntid, name in db.execute("SELECT ntid, name FROM templates ORDER BY ntid, ord"):
            templates[ntid].append(_text(name) or "")
    notetypes = {
        ntid: (_is_cloze(config), _field_names(fields[ntid]), templates[ntid])
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
    return protobuf_varint(config, 1) == 1


def _rows(
    db: sqlite3.Connection,
    notetypes: Notetypes,
    decks: DeckPaths,
    media: "PackageMedia | None",
    notetype_names: dict[int, str],
) -> Source:
    cards: defaultdict[int, dict[int, AnkiCardRow]] = defaultdict(dict)  # note id → ord → card
    query = "SELECT id, nid, did, ord, queue, type, ivl, factor, due FROM cards"
    for cid, nid, did, ord_, queue, type_, ivl, factor, due in db.execute(query):
        if isinstance(ord_, int):  # a card of no template (the file is untrusted) is no card
            cards[nid][ord_] = (cid, did, ord_, queue == -1, type_, ivl, factor, due)
    history, partial = _history(db)
    paths = {card[1] for note in cards.values() for card in note.values()}
    root = _common_prefix([decks.get(did, []) for did in paths])
    source = Source(format="apkg", rows=[], mapping=APKG_MAPPING, media=media)
    source.deck_name = "::".join(root)
    crt_row = db.execute("SELECT crt FROM col").fetchone()
    created = crt_row[0] if crt_row and isinstance(crt_row[0], int) else 0
    mappings = {
        mid: _notetype_mapping(db, mid, names) for mid, (_c, names, _t) in notetypes.items()
    }
    notes = db.execute("SELECT id, mid, tags, flds FROM notes ORDER BY id")
    for number, (nid, mid, raw_tags, raw_flds) in enumerate(notes, start=1):
        is_cloze, fields_named, templates = notetypes.get(mid, (False, [], []))
        tags, flds = _text(raw_tags), _text(raw_flds)
        if tags is None or flds is None:
            source.skipped.append((number, _("the note’s fields or tags are not text")))
            continue
        values = flds.split("\x1f")
        note_cards = cards.get(nid, {})
        made = _cloze_cards(values) if is_cloze else _basic_cards(values, mappings.get(mid))
        key = "" if is_cloze or mid not in mappings else str(mid)
        if isinstance(made, str):
            source.skipped.append((number, made))
            continue
        if not made:
            source.skipped.append((number, _("a note of this type cannot become a card")))
        if not is_cloze:
            _report_unmatched(source, number, note_cards, templates)
        image, audio = _media_names(values, source, number)
        for ords, fields in made:
            row = Row(line=number, fields=fields, tags=" ".join(tags.split()))
            row.image, row.audio = image, audio
            row.image_side = _image_side(values, None if is_cloze else mappings.get(mid), image)
            if key:
                row.notetype, row.note_fields = key, [html_to_text(value) for value in values]
                if key not in source.notetypes:
                    source.notetypes[key] = NotetypeColumns(
                        notetype_names.get(mid, ""), fields_named, mappings[mid]
                    )
            for ord_ in ords:
                card = note_cards.get(ord_)
                if card is None:  # no such card in the collection (not generated, or lost)
                    continue
                cid, did, *_rest = card
                direction = DIRECTIONS[ord_] if not is_cloze else DIRECTIONS[0]
                imported = ImportedCard(direction, history.get(cid, []), card[3])
                _sm2(imported, partial.get(cid), card, created)
                row.cards.append(imported)
                row.subdeck = "::".join(decks.get(did, root)[len(root) :])
            source.rows.append(row)
    source.has_history = bool(history) or any(
        card.sm2_interval for row in source.rows for card in row.cards
    )
    source.has_subdecks = any(row.subdeck for row in source.rows)
    return source


def _sm2(
    card: ImportedCard, before: tuple[int, int] | None, anki: AnkiCardRow, created: int
) -> None:
    """Anki's interval and ease, for a card whose history does not start at its first review
    (those before the first review kept) or that has none but is in review (now)."""
    _cid, _did, _ord, _suspended, type_, ivl, factor, due = anki
    if before is not None:
        card.sm2_interval, card.sm2_ease = max(before[0], 1), before[1] / 1000 or 2.5
        return
    numbers = all(isinstance(value, int) for value in (ivl, factor, due))
    if card.history or type_ != REVIEW_CARD or not numbers or ivl <= 0:
        return
    try:
        card.due = datetime.fromtimestamp(created + due * DAY_SECONDS, UTC)
    except (OverflowError, OSError, ValueError):
        return
    card.sm2_interval, card.sm2_ease = ivl, factor / 1000 or 2.5


def _report_unmatched(
    source: Source, number: int, note_cards: dict[int, AnkiCardRow], templates: list[str]
) -> None:
    """A line for each card of a note that no direction of ours matches."""
    for ord_ in sorted(note_cards):
        if ord_ >= len(DIRECTIONS):
            name = templates[ord_] if ord_ < len(templates) else str(ord_ + 1)
            source.left_out.append(
                (
                    number,
                    _("its card “%(template)s” matches no direction and is not imported")
                    % {"template": name},
                )
            )


def _media_names(values: list[str], source: Source, number: int) -> tuple[str, str]:
    """The first picture and the first sound a note refers to; a file the package does not
    hold is reported (the note comes without it)."""
    html = "\n".join(values)
    images = [
        next(part for part in match.groups() if part is not None) for match in IMAGE.finditer(html)
    ]
    sounds = ANKI_SOUND.findall(html)
    found = ["", ""]
    entries = source.media.entries if isinstance(source.media, PackageMedia) else None
    for slot, names in enumerate((images, sounds)):
        for name in names:
            name = without_nul(unescape(name)).strip()
            if entries is not None and name not in entries:
                source.left_out.append(
                    (
                        number,
                        _("it refers to %(name)s, which is not in the package") % {"name": name},
                    )
                )
            elif not found[slot]:
                found[slot] = name
    return found[0], found[1]


def _image_side(values: list[str], mapping: ColumnMapping | None, image: str) -> str:
    """The side to show the picture on: "back" when the note's picture sits in the field its
    back comes from and not in the front's (Anki's Basic notes carry pictures on either side),
    else "front"."""
    if not image or mapping is None:
        return "front"

    def holds(name: str) -> bool:
        index = mapping.get(name)
        return index is not None and index < len(values) and image in unescape(values[index])

    return "back" if holds("back") and not holds("front") else "front"


def _history(
    db: sqlite3.Connection,
) -> tuple[defaultdict[object, list[Review]], dict[object, tuple[int, int]]]:
    """Each card's reviews, in order, and for a card whose history does not start with its
    first learning step the interval and ease before the first review kept. A review that
    cannot have happened refuses the file."""
    latest = (timezone.now() + timedelta(days=1)).timestamp() * 1000
    history: defaultdict[object, list[Review]] = defaultdict(list)
    partial: dict[object, tuple[int, int]] = {}
    for cid, ms, ease, duration, type_, last_interval, factor in db.execute(REVIEW_LOG_QUERY):
        if not isinstance(ms, int) or not 0 <= ms <= latest:
            raise damaged(_("a review has an impossible date"))
        if not isinstance(ease, int) or ease not in GRADES:
            raise damaged(_("a review has an unknown grade"))
        if not isinstance(duration, int) or not 0 <= duration <= MAX_DURATION_MS:
            duration = None
        if cid not in history and type_ != LEARN:
            days = last_interval if isinstance(last_interval, int) and last_interval > 0 else 0
            partial[cid] = (days, factor if isinstance(factor, int) and factor > 0 else 0)
        history[cid].append((datetime.fromtimestamp(ms / 1000, UTC), ease, duration))
    return history, partial


def _common_prefix(paths: list[list[str]]) -> list[str]:
    if not paths:
        return []
    prefix = paths[0]
    for path in paths[1:]:
        while path[: len(prefix)] != prefix:
            prefix = prefix[:-1]
    return prefix


def _notetype_mapping(db: sqlite3.Connection, mid: int, names: list[str]) -> ColumnMapping:
    """Which field of a note type is the front, back, example and notes: by name (English or
    Russian, as for a CSV's columns), then the first fields left for the front and back, passing
    over fields that hold only sounds or pictures (an "audio first" type's first field)."""
    lower = [name.strip().lower() for name in names]
    mapping: ColumnMapping = {}
    for card_field in ("front", "back", "example", "notes"):
        for index, name in enumerate(lower):
            if name in COLUMN_NAMES[card_field] and index not in mapping.values():
                mapping[card_field] = index
                break
    sample = [
        _text(flds)
        for (flds,) in db.execute(
            "SELECT flds FROM notes WHERE mid = ? LIMIT ?", (mid, SAMPLED_NOTES)
        )
    ]
    fields = [flds.split("\x1f") for flds in sample if flds is not None]

    def media_only(index: int) -> bool:
        values = [note[index] for note in fields if index < len(note)]
        return bool(values) and all(
            not html_to_text(value) and (ANKI_SOUND.search(value) or IMAGE.search(value))
            for value in values
        )

    free = [
        index
        for index, name in enumerate(lower)
        if index not in mapping.values() and name not in MEDIA_FIELDS and not media_only(index)
    ]
    for card_field in ("front", "back"):
        if card_field not in mapping and free:
            mapping[card_field] = free.pop(0)
    return mapping


def _basic_cards(values: list[str], mapping: ColumnMapping | None) -> MadeCards:
    """Front, back, notes and example of a note that is not a cloze, for all its cards."""
    if len(values) < 2 or mapping is None:
        return []

    def field(name: str) -> str:
        index = mapping.get(name)
        return html_to_text(values[index]) if index is not None and index < len(values) else ""

    fields = [field("front"), field("back"), field("notes"), field("example")]
    return [(list(range(len(DIRECTIONS))), fields)]


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
        made.append(([number - 1], [html_to_text(CLOZE.sub(gap, text)), ", ".join(answers), extra]))
    return made
