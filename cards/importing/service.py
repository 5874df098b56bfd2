"""Turning a parsed Source into phrases and their cards: the mapping, duplicate handling and
the report."""

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cards import scheduling
from cards.importing.formats import (
    CARD_FIELDS,
    ColumnMapping,
    ImportedCard,
    MediaFiles,
    Row,
    Source,
)
from cards.media.audio import ToolFailed, to_mp3
from cards.media.files import MediaRefused, delete, owner_prefix, store
from cards.media.images import reencode
from cards.models import Card, Deck, ImportJob, Phrase, ReviewLog, State

BATCH_SIZE = 500
# Rows per transaction of a background import: each renews the job's lease and progress.
ROWS_PER_BATCH = 1000
# Media files re-encoded in one batch at most (a sound takes ffmpeg ~0.1 s).
MEDIA_PER_BATCH = 100
# The skipped lines a job's report lists (the screen shows as many); all are counted.
SKIPPED_KEPT = 500


def model_field(model: type[models.Model], name: str) -> models.Field:
    """A column of `model` (get_field() may also answer with a relation; these never are)."""
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field), f"{model.__name__}.{name} is not a column"
    return found


MAX_LENGTHS = {
    name: limit
    for name in CARD_FIELDS
    if (limit := model_field(Phrase, name).max_length) is not None  # all of them have one
}
UPDATED_FIELDS = ("back", "example", "notes", "tags")


@dataclass
class ImportOptions:
    mapping: ColumnMapping = field(default_factory=lambda: {"front": 0, "back": 1})
    swap: bool = False
    update_duplicates: bool = False
    keep_scheduling: bool = False
    subdecks_as_decks: bool = False
    # Note type (Row.notetype) → its mapping, for an Anki package's rows.
    notetype_mappings: dict[str, ColumnMapping] = field(default_factory=dict)


@dataclass
class ImportReport:
    added: int = 0  # phrases
    cards_added: int = 0  # their cards: the deck's directions, or an Anki note's own cards
    updated: int = 0
    skipped: list = field(default_factory=list)  # (line, reason), in line order
    media_count: int = 0  # pictures and sounds that came with the phrases
    reviews: int = 0
    decks_created: list = field(default_factory=list)
    left_out: list = field(default_factory=list)  # (line, what a note came without), in order
    # The files stored for the phrases, removed again if the import fails.
    media_stored: list[str] = field(default_factory=list, repr=False)


def map_row(row: Row, options: ImportOptions) -> dict | str:
    """The card's values from one row, or the reason the row cannot be a card."""
    if row.notetype in options.notetype_mappings:
        mapping, fields = options.notetype_mappings[row.notetype], row.note_fields
    else:
        mapping, fields = options.mapping, row.fields
    values = {name: _column_value(fields, mapping.get(name)) for name in CARD_FIELDS}
    if options.swap:
        values["front"], values["back"] = values["back"], values["front"]
    # A subdeck that does not become a deck is a tag, counted in the tags' length.
    subdeck = _tag(row.subdeck) if row.subdeck and not options.subdecks_as_decks else ""
    values["tags"] = " ".join(dict.fromkeys(f"{row.tags} {values['tags']} {subdeck}".split()))
    if not values["front"]:
        return _("the front is empty")
    if not values["back"]:
        return _("the back is empty")
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            return _("the %(field)s is longer than %(limit)d characters") % {
                "field": model_field(Phrase, name).verbose_name,
                "limit": limit,
            }
    return values


def _column_value(fields: list[str], index: int | None) -> str:
    """The row's value in column `index`; empty when the field is not mapped or not there."""
    if index is None or index >= len(fields):
        return ""
    return fields[index].strip()


def preview_rows(source: Source, options: ImportOptions, count: int = 5) -> list[dict]:
    rows = []
    for row in source.rows[:count]:
        values = map_row(row, options)
        if isinstance(values, str):
            rows.append({"line": row.line, "skip": values})
        else:
            rows.append({"line": row.line, **values})
    return rows


class JobAbandoned(Exception):
    """The job is no longer running (its lease ran out and it was marked failed)."""


def deck_import(
    *, deck: Deck, source: Source, options: ImportOptions, job: ImportJob | None = None
) -> ImportReport:
    """Import every row of `source` into `deck` (and its subdecks).

    A front that is already in the target deck is skipped, or the existing card updated.
    With `keep_scheduling`, each new card's review history is replayed as Card.review would
    have graded it, so its FSRS state is what that history implies.

    Without a job, all of it is one transaction. A job's import commits a batch at a time (no
    transaction stays open for minutes) and marks its cards with the job, so that a failure
    can remove them (cards.importing.jobs); updates of existing cards are written in the last
    transaction. Every batch holds the deck's row lock: imports into one deck take turns, and
    each sees the fronts the others added.
    """
    if job is None:
        with transaction.atomic():
            return _import(deck, source, options, None)
    return _import(deck, source, options, job)


def _import(
    deck: Deck, source: Source, options: ImportOptions, job: ImportJob | None
) -> ImportReport:
    report = ImportReport(skipped=list(source.skipped), left_out=list(source.left_out))
    with transaction.atomic():
        _lock(deck)
        targets = _target_decks(deck, source, options, report)
        _progress(
            job, 0, created_decks=[target.pk for target in targets.values() if target != deck]
        )
    seen: dict[tuple[int, str], int] = {}  # (deck, front) → the line it was first on
    to_update: list[Phrase] = []
    try:
        for start, rows in _batches(source.rows):
            with transaction.atomic():
                _lock(deck)
                to_update += _import_rows(
                    deck, rows, targets, options, report, seen, job, source.media
                )
                _progress(job, start + len(rows))
    except BaseException:
        # The phrases that took them are rolled back, or removed by the job's undo.
        for name in report.media_stored:
            delete(name)
        raise
    with transaction.atomic():
        _lock(deck)
        Phrase.objects.bulk_update(to_update, _updated(options), batch_size=BATCH_SIZE)
        report.updated = len(to_update)
        report.skipped.sort(key=lambda item: item[0])
        report.left_out.sort(key=lambda item: item[0])
        done = {"status": ImportJob.Status.DONE, "finished": timezone.now()}
        _progress(job, len(source.rows), report=_stored(report), **done)
    return report


def _batches(rows: list[Row]) -> Iterator[tuple[int, list[Row]]]:
    """(index of the first, rows) of ROWS_PER_BATCH rows, or fewer where they carry media:
    re-encoding a sound takes a tenth of a second, and a batch must end well within the
    job's lease."""
    start = 0
    while start < len(rows):
        end, media = start, 0
        while end < len(rows) and end - start < ROWS_PER_BATCH and media < MEDIA_PER_BATCH:
            media += bool(rows[end].image) + bool(rows[end].audio)
            end += 1
        yield start, rows[start:end]
        start = end


def _stored(report: ImportReport) -> dict:
    """The report as the job keeps it: the count of skipped lines, the first of them only."""
    stored = asdict(report)
    del stored["media_stored"]
    stored.update(skipped=report.skipped[:SKIPPED_KEPT], skipped_count=len(report.skipped))
    stored.update(left_out=report.left_out[:SKIPPED_KEPT], left_out_count=len(report.left_out))
    return stored


def _lock(deck: Deck) -> None:
    """Wait for the deck's row lock (PostgreSQL; SQLite has one writer at a time anyway)."""
    list(Deck.objects.select_for_update().filter(pk=deck.pk).values_list("pk"))


def _progress(job: ImportJob | None, done: int, **fields: object) -> None:
    """Record the job's progress and renew its lease, in the batch's transaction."""
    if job is None:
        return
    running = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING)
    if not running.update(done=done, heartbeat=timezone.now(), **fields):
        raise JobAbandoned(job.pk)


def _import_rows(
    deck: Deck,
    rows: list[Row],
    targets: dict[str, Deck],
    options: ImportOptions,
    report: ImportReport,
    seen: dict[tuple[int, str], int],
    job: ImportJob | None,
    media: MediaFiles | None = None,
) -> list[Phrase]:
    """Add one batch of rows, each a phrase with a card for each of its deck's directions;
    the existing phrases they would update are returned."""
    mapped = []
    for row in rows:
        values = map_row(row, options)
        if isinstance(values, str):
            report.skipped.append((row.line, values))
            continue
        target = targets[row.subdeck if options.subdecks_as_decks else ""]
        mapped.append((row, target, values))
    # Read under the deck's lock: what an import that ran before this batch added is here.
    existing = {
        (phrase.deck_id, phrase.front): phrase
        for phrase in Phrase.objects.filter(
            deck__in=set(targets.values()), front__in={values["front"] for *_, values in mapped}
        ).only("id", "deck_id", "front", *UPDATED_FIELDS)
    }
    to_create: list[Phrase] = []
    cards: list[Card] = []
    to_update: list[Phrase] = []
    logs: list[ReviewLog] = []
    for row, target, values in mapped:
        key = (target.pk, values["front"])
        if key in seen:
            report.skipped.append(
                (row.line, _("the same front as line %(line)d") % {"line": seen[key]})
            )
            continue
        seen[key] = row.line
        phrase = existing.get(key)
        if phrase is None:
            phrase = Phrase(owner_id=deck.owner_id, deck=target, import_job=job, **values)
            if media is not None:
                _attach_media(phrase, row, media, report)
                if phrase.image:
                    phrase.image_side = row.image_side
            if row.cards:
                new, card_logs = _anki_cards(phrase, row.cards, options, deck.owner)
                logs += card_logs
            else:
                new = phrase.new_cards(target.new_phrase_directions)
            to_create.append(phrase)
            cards += new
        elif not options.update_duplicates:
            report.skipped.append((row.line, _("already in the deck")))
        elif all(getattr(phrase, name) == values[name] for name in _updated(options)):
            report.skipped.append((row.line, _("already in the deck, unchanged")))
        else:
            for name in _updated(options):
                setattr(phrase, name, values[name])
            to_update.append(phrase)
    Phrase.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Card.objects.bulk_create(cards, batch_size=BATCH_SIZE)
    ReviewLog.objects.bulk_create(logs, batch_size=BATCH_SIZE)
    report.added += len(to_create)
    report.cards_added += len(cards)
    report.reviews += len(logs)
    return to_update


def _anki_cards(
    phrase: Phrase, imported: list[ImportedCard], options: ImportOptions, learner: User
) -> tuple[list[Card], list[ReviewLog]]:
    """A card for each of an Anki note's cards, in its direction. With `keep_scheduling` a
    whole history is replayed; one that is partial starts from the FSRS memory state of
    Anki's SM-2 interval and ease before it; a review card without history gets the state of
    its interval and ease now, and Anki's due date."""
    cards: list[Card] = []
    logs: list[ReviewLog] = []
    for anki in imported:
        if any(card.direction == anki.direction for card in cards):
            continue
        card = phrase.new_cards([anki.direction])[0]
        card.suspended = anki.suspended
        cards.append(card)
        if not options.keep_scheduling:
            continue
        if anki.sm2_interval:
            card.stability, card.difficulty = scheduling.memory_state_from_sm2(
                learner, ease=anki.sm2_ease, interval=anki.sm2_interval
            )
            card.state, card.step = State.REVIEW, None
            card.due = anki.history[0][0] if anki.history else anki.due or card.due
            card.last_review = card.due - timedelta(days=anki.sm2_interval)
        elif anki.history:
            # Due when it was first reviewed: the first review's "before" is that moment.
            card.due = anki.history[0][0]
        logs += card.replay(anki.history, learner=learner)
    return cards, logs


def _attach_media(phrase: Phrase, row: Row, media: MediaFiles, report: ImportReport) -> None:
    """The note's picture and sound, checked and re-encoded as an upload would be; one that
    cannot be is left out with a line in the report. A failed import's undo removes the
    stored files (cards.importing.jobs)."""
    for kind, name in (("image", row.image), ("audio", row.audio)):
        if not name:
            continue
        try:
            data = media.read(name)
            if data is None:  # not in the package: the reader has reported it
                continue
            if kind == "image":
                picture = reencode(data)
                extension, content, folder = picture.extension, picture.content, "images"
            else:
                sound = to_mp3(data, max_seconds=settings.AUDIO_MAX_SECONDS)
                extension, content, folder = "mp3", sound.mp3, "sounds"
        except (MediaRefused, ToolFailed) as refused:
            reason = _("%(name)s is left out: %(reason)s") % {"name": name, "reason": refused}
            report.left_out.append((row.line, reason))
            continue
        stored = store(owner_prefix(phrase.owner_id, folder), extension, content)
        setattr(phrase, kind, stored)
        report.media_stored.append(stored)
        report.media_count += 1


def _updated(options: ImportOptions) -> list[str]:
    """Only the fields the file provides: an unmapped column does not wipe a card's notes."""
    mapped = [name for name in UPDATED_FIELDS if options.mapping.get(name) is not None]
    if options.swap and "back" not in mapped:
        mapped.append("back")
    return mapped or ["back"]


def _tag(subdeck: str) -> str:
    return "_".join(subdeck.split())


def _target_decks(
    deck: Deck, source: Source, options: ImportOptions, report: ImportReport
) -> dict[str, Deck]:
    """Subdeck name → deck: the target itself, or one deck per subdeck ("Target::Sub")."""
    targets = {"": deck}
    if not options.subdecks_as_decks:
        return targets
    for name in sorted({row.subdeck for row in source.rows if row.subdeck}):
        full_name = f"{deck.name}::{name}"[: model_field(Deck, "name").max_length]
        # Deck names are not unique, so the first deck of that name is the one.
        found = Deck.objects.filter(owner=deck.owner, name=full_name).first()
        if found is None:
            found = Deck.objects.create(owner=deck.owner, name=full_name)
            report.decks_created.append(full_name)
        targets[name] = found
    return targets
