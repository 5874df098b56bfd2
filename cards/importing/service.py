"""Turning a parsed Source into cards: the mapping, duplicate handling and the report."""

from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from cards.importing.formats import CARD_FIELDS, ColumnMapping, Row, Source
from cards.models import Card, Deck

BATCH_SIZE = 500


def model_field(model: type[models.Model], name: str) -> models.Field:
    """A column of `model` (get_field() may also answer with a relation; these never are)."""
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field), f"{model.__name__}.{name} is not a column"
    return found


MAX_LENGTHS = {
    name: limit
    for name in CARD_FIELDS
    if (limit := model_field(Card, name).max_length) is not None  # all of them have one
}
UPDATED_FIELDS = ("back", "example", "notes", "tags")


@dataclass
class ImportOptions:
    mapping: ColumnMapping = field(default_factory=lambda: {"front": 0, "back": 1})
    swap: bool = False
    update_duplicates: bool = False
    keep_scheduling: bool = False
    subdecks_as_decks: bool = False


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    skipped: list = field(default_factory=list)  # (line, reason), in line order
    media_count: int = 0
    reviews: int = 0
    decks_created: list = field(default_factory=list)


def map_row(row: Row, options: ImportOptions) -> dict | str:
    """The card's values from one row, or the reason the row cannot be a card."""
    values = {name: _column_value(row, options.mapping.get(name)) for name in CARD_FIELDS}
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
                "field": model_field(Card, name).verbose_name,
                "limit": limit,
            }
    return values


def _column_value(row: Row, index: int | None) -> str:
    """The row's value in column `index`; empty when the field is not mapped or not there."""
    if index is None or index >= len(row.fields):
        return ""
    return row.fields[index].strip()


def preview_rows(source: Source, options: ImportOptions, count: int = 5) -> list[dict]:
    rows = []
    for row in source.rows[:count]:
        values = map_row(row, options)
        if isinstance(values, str):
            rows.append({"line": row.line, "skip": values})
        else:
            rows.append({"line": row.line, **values})
    return rows


@transaction.atomic
def deck_import(*, deck: Deck, source: Source, options: ImportOptions) -> ImportReport:
    """Import every row of `source` into `deck` (and its subdecks) in one transaction.

    A front that is already in the target deck is skipped, or the existing card updated.
    With `keep_scheduling`, each new card's review history is replayed through Card.review, so
    its FSRS state is what that history implies.
    """
    report = ImportReport(skipped=list(source.skipped), media_count=source.media_count)
    targets = _target_decks(deck, source, options, report)
    existing = {
        (card.deck_id, card.front): card
        for card in Card.objects.filter(deck__in=set(targets.values())).only(
            "id", "deck_id", "front", *UPDATED_FIELDS
        )
    }
    seen: dict[tuple[int, str], int] = {}  # (deck, front) → the line it was first on
    to_create: list[Card] = []
    to_update: list[Card] = []
    histories: list[tuple[Card, list]] = []
    for row in source.rows:
        values = map_row(row, options)
        if isinstance(values, str):
            report.skipped.append((row.line, values))
            continue
        target = targets[row.subdeck if options.subdecks_as_decks else ""]
        key = (target.pk, values["front"])
        if key in seen:
            report.skipped.append(
                (row.line, _("the same front as line %(line)d") % {"line": seen[key]})
            )
            continue
        seen[key] = row.line
        card = existing.get(key)
        if card is None:
            card = Card(owner_id=deck.owner_id, deck=target, suspended=row.suspended, **values)
            to_create.append(card)
            if options.keep_scheduling and row.history:
                histories.append((card, row.history))
        elif not options.update_duplicates:
            report.skipped.append((row.line, _("already in the deck")))
        elif all(getattr(card, name) == values[name] for name in _updated(options)):
            report.skipped.append((row.line, _("already in the deck, unchanged")))
        else:
            for name in _updated(options):
                setattr(card, name, values[name])
            to_update.append(card)
    Card.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Card.objects.bulk_update(to_update, _updated(options), batch_size=BATCH_SIZE)
    report.added, report.updated = len(to_create), len(to_update)
    report.reviews = _replay(histories, deck.owner)
    report.skipped.sort(key=lambda item: item[0])
    return report


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


def _replay(histories: list[tuple[Card, list]], owner: User) -> int:
    count = 0
    for card, history in histories:
        for reviewed_at, rating, duration_ms in history:
            card.review(rating, learner=owner, now=reviewed_at, duration_ms=duration_ms)
            count += 1
    return count
