from collections.abc import Iterable
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Self

import fsrs
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Greatest
from django.db.models.lookups import Exact
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs-ext is a development requirement only
    from django_stubs_ext import StrOrPromise

from accounts.models import User
from cards import load, scheduling, search
from cards.media import files
from cards.media.models import Speech
from cards.media.voices import voice_for
from phraseweaver import rows
from phraseweaver.media import media_url

# "Never reviewed": the study queue orders by it (seen cards first) and its index holds it.
IS_NEW = ExpressionWrapper(Q(last_review__isnull=True), output_field=BooleanField())
# Seen before, written as the index's own expression ("(last_review IS NULL) = false", which
# Django would otherwise write as NOT …), so that a range of due dates is read off the index.
SEEN: Exact = Exact(IS_NEW, Value(False))


class StaleReview(Exception):
    """The card was graded (or its grade undone) since the client loaded it."""


class State(models.IntegerChoices):
    LEARNING = 1, _("Learning")
    REVIEW = 2, _("Review")
    RELEARNING = 3, _("Relearning")


class Direction(models.TextChoices):
    """The ways a phrase is practised: one card for each."""

    RECOGNITION = "recognition", _("Recognition: phrase → meaning")
    PRODUCTION = "production", _("Production: meaning → phrase")
    LISTENING = "listening", _("Listening: sound → phrase")


def default_directions() -> list[str]:
    """A new deck's phrases are learned both ways (decks made before directions keep
    recognition only: migration 0010)."""
    return [Direction.RECOGNITION, Direction.PRODUCTION]


def load_balance() -> bool:
    """Due dates go to the lighter days of fsrs's fuzz range (Card._balanced_due)."""
    return settings.FSRS_ENABLE_FUZZING and settings.LOAD_BALANCE


def local_day_start(user: User, now: datetime) -> datetime:
    """Midnight of the user's current day, as an aware datetime."""
    local_now = timezone.localtime(now, user.tz)
    return datetime.combine(local_now.date(), time.min, tzinfo=user.tz)


LEECH_TAG = "leech"
TAGS_MAX_LENGTH = 500  # Phrase.tags


@cache
def _grade_sql(columns: tuple[str, ...], vendor: str) -> str:
    """Card._save_grade's statement for these card columns, built once: the conditional UPDATE
    of the card and its siblings; on PostgreSQL with the review log's INSERT fed by its row.

    The INSERT in the same statement: one round trip, and atomic without a transaction (BEGIN
    and COMMIT were two more). Its values are cast: in an INSERT's SELECT a parameter would
    otherwise be text."""
    graded = "id = %(card)s"
    sets = [
        f"{column} = CASE WHEN {graded} THEN %({column})s ELSE {column} END" for column in columns
    ]
    sets += [
        f"version = CASE WHEN {graded} THEN version + 1 ELSE version END",
        f"buried_until = CASE WHEN {graded} THEN buried_until ELSE %(bury)s END",
    ]
    update = (
        f"UPDATE cards_card SET {', '.join(sets)} WHERE phrase_id = %(phrase)s"
        f" AND ({graded} AND version = %(version)s OR id <> %(card)s AND EXISTS ("
        "SELECT 1 FROM cards_card g WHERE g.id = %(card)s AND g.version = %(version)s))"
        " RETURNING id"
    )
    if vendor != "postgresql":
        return update
    # The columns of rows.new_row(log), whose values Card._save_grade passes, in its order.
    logged = rows.inserted_fields(ReviewLog)
    values = ", ".join(
        f"CAST(%(log_{field.column})s AS {field.db_type(connection)})" for field in logged
    )
    return (
        f"WITH graded AS ({update}) INSERT INTO {ReviewLog._meta.db_table}"
        f" ({', '.join(field.column for field in logged)})"
        f" SELECT {values} FROM graded WHERE graded.id = %(card)s RETURNING id"
    )


class LeechAction(models.TextChoices):
    SUSPEND = "suspend", _("Tag and suspend")
    TAG = "tag", _("Tag only")


def is_leech_point(lapses: int, threshold: int) -> bool:
    """Whether a card's lapse count makes it a leech (again): Anki's threshold, then every
    half threshold more (8, 12, 16… by default)."""
    return lapses >= threshold and (lapses - threshold) % max(-(-threshold // 2), 1) == 0


class DeckQuerySet(models.QuerySet["Deck"]):
    def for_user(self, user: User) -> Self:
        return self.filter(owner=user)


class Deck(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decks"
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    front_lang = models.CharField(_("front language"), max_length=16, blank=True)
    back_lang = models.CharField(_("back language"), max_length=16, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The share link this deck was copied from: adding from the same link again opens this deck.
    # A token, not a key: a revoked link's token opens nothing, and deleting a share or a deck
    # touches no copy.
    shared_token = models.CharField(max_length=64, blank=True, editable=False)
    # Each deck's own daily limits, as in Anki; a new deck starts with the learner's (save()).
    new_cards_per_day = models.PositiveIntegerField(
        _("new cards per day"), default=None, validators=[MaxValueValidator(9999)]
    )
    reviews_per_day = models.PositiveIntegerField(
        _("reviews per day"), default=None, validators=[MaxValueValidator(99999)]
    )
    # "Study more": extra new cards the learner asked for, on that day only.
    extra_new = models.PositiveIntegerField(default=0, editable=False)
    extra_new_on = models.DateField(null=True, blank=True, editable=False)
    # The directions (Direction values) each new phrase gets a card for.
    directions = models.JSONField(_("directions"), default=default_directions)
    # Production cards ask the learner to type the phrase (cards.answer_check compares it).
    typed_answers = models.BooleanField(_("type the answer on production cards"), default=False)
    # Leeches, as in Anki: a card forgotten this many times, then every half as many more, is
    # tagged "leech" (and suspended, unless the deck only tags).
    leech_threshold = models.PositiveSmallIntegerField(
        _("leech threshold"), default=8, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    leech_action = models.CharField(
        _("leech action"), max_length=8, choices=LeechAction.choices, default=LeechAction.SUSPEND
    )

    objects = DeckQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="deck_owner_name")]
        constraints = [
            # Two taps on "Add", even at once, make one copy.
            models.UniqueConstraint(
                fields=["owner", "shared_token"],
                condition=~Q(shared_token=""),
                name="deck_one_copy_per_share",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new deck starts with the learner's limits from Settings.
        if self.new_cards_per_day is None:
            self.new_cards_per_day = self.owner.new_cards_per_day
        if self.reviews_per_day is None:
            self.reviews_per_day = self.owner.reviews_per_day
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("deck", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """The deck, its phrases and their cards; the phrases' media files once it commits."""
        media = self.phrases.exclude(image="", audio="").values_list("image", "audio")
        names = [name for pair in media for name in pair]
        deleted = super().delete(*args, **kwargs)
        files.delete_on_commit(names)
        return deleted

    @property
    def no_sound(self) -> str:
        """What the speaker says when a phrase has no sound to play on this client."""
        if voice_for(self.front_lang) is None:
            return str(_("No voice reads %(language)s here.")) % {"language": self.front_lang}
        return str(_("No sound yet: it is being prepared."))

    def new_limit_on(self, day: date) -> int:
        """The deck's new-card limit on `day`, with the extra cards asked for that day."""
        return self.new_cards_per_day + (self.extra_new if self.extra_new_on == day else 0)

    def days_to_see(self, new: int) -> int | None:
        """How many days the deck's new-card limit takes to show `new` cards, when more than
        one (for the import's report)."""
        if not self.new_cards_per_day or new <= self.new_cards_per_day:
            return None
        return -(-new // self.new_cards_per_day)

    @property
    def direction_choices(self) -> list[tuple[str, "StrOrPromise"]]:
        """The directions this deck offers: listening only with a front language to speak."""
        return [
            (value, label)
            for value, label in Direction.choices
            if value != Direction.LISTENING or self.front_lang
        ]

    @property
    def new_phrase_directions(self) -> list[str]:
        """The directions a phrase added now gets, in Direction's order (never none)."""
        offered = [value for value, _label in self.direction_choices]
        chosen = [value for value in offered if value in self.directions]
        return chosen or [Direction.RECOGNITION]

    def study_more_new(self, count: int, day: date) -> None:
        """Let `count` more new cards in today (Anki's custom study); tomorrow they are gone."""
        self.extra_new = (self.extra_new if self.extra_new_on == day else 0) + count
        self.extra_new_on = day
        self.save(update_fields=["extra_new", "extra_new_on"])


class ImageSide(models.TextChoices):
    FRONT = "front", _("On the front")
    BACK = "back", _("On the back")


class PhraseQuerySet(models.QuerySet["Phrase"]):
    def for_user(self, user: User) -> Self:
        return self.filter(owner=user)

    # The bulk paths (import, copying a shared deck) fill the search column as save() does.

    def bulk_create(self, objs: Iterable["Phrase"], *args: Any, **kwargs: Any) -> list["Phrase"]:
        phrases = list(objs)
        for phrase in phrases:
            phrase.fill_search_text()
        return super().bulk_create(phrases, *args, **kwargs)

    def bulk_update(
        self, objs: Iterable["Phrase"], fields: Iterable[str], *args: Any, **kwargs: Any
    ) -> int:
        phrases, fields = list(objs), list(fields)
        if set(fields) & set(search.SEARCHED_FIELDS):
            for phrase in phrases:
                phrase.fill_search_text()
            fields = [*fields, "search_text"]
        return super().bulk_update(phrases, fields, *args, **kwargs)


class Phrase(models.Model):
    """What is learned: a phrase and its meaning. How it is practised are its cards, one for
    each direction, which read their text from here."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="phrases")
    front = models.CharField(_("front"), max_length=1000)
    back = models.CharField(_("back"), max_length=1000)
    example = models.TextField(_("example"), blank=True, max_length=2000)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    tags = models.CharField(_("tags"), max_length=TAGS_MAX_LENGTH, blank=True)
    # The searched fields casefolded and without accents (cards.search): filled on every save.
    search_text = models.TextField(default="", editable=False)
    # The import that added the phrase, until it is over: a failed or abandoned import removes
    # the phrases (and so their cards) it had committed by this mark.
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Media (cards/media/): names in the default storage, empty for none. The picture is
    # shown on the side the learner chose; `audio` is their own recording or sound file;
    # `speech` the server's reading of the front, linked by the task that made it.
    image = models.CharField(max_length=255, blank=True, editable=False)
    image_side = models.CharField(
        _("show the picture"), max_length=5, choices=ImageSide.choices, default=ImageSide.FRONT
    )
    audio = models.CharField(max_length=255, blank=True, editable=False)
    speech = models.ForeignKey(
        Speech, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = PhraseQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["deck", "id"], name="phrase_deck_id")]

    def __str__(self) -> str:
        return self.front

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.owner_id is None and self.deck_id is not None:
            self.owner_id = self.deck.owner_id
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(search.SEARCHED_FIELDS):
            self.fill_search_text()
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "search_text"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("phrase_edit", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        names = [self.image, self.audio]
        deleted = super().delete(*args, **kwargs)
        files.delete_on_commit(names)
        return deleted

    # Short-lived signed URLs for <img> and <audio> (phraseweaver/media.py).
    @property
    def image_url(self) -> str:
        return media_url(self.image) if self.image else ""

    @property
    def audio_url(self) -> str:
        return media_url(self.audio) if self.audio else ""

    @property
    def speech_url(self) -> str:
        return media_url(self.speech.audio) if self.speech else ""

    def fill_search_text(self) -> None:
        self.search_text = search.search_text(*(getattr(self, f) for f in search.SEARCHED_FIELDS))

    @property
    def tag_list(self) -> list[str]:
        return list(dict.fromkeys(self.tags.split()))

    def tag_leech(self) -> None:
        """Add the "leech" tag (one UPDATE, none when the phrase has it)."""
        tags = self.tags.split()
        if LEECH_TAG in tags:
            return
        # The tag goes in whole: the last other tags give way when the field is full.
        tags.append(LEECH_TAG)
        while len(" ".join(tags)) > TAGS_MAX_LENGTH:
            del tags[-2]
        self.tags = " ".join(tags)
        self.save(update_fields=["tags"])

    def untag_leech(self) -> None:
        tags = [tag for tag in self.tags.split() if tag != LEECH_TAG]
        if len(tags) != len(self.tags.split()):
            self.tags = " ".join(tags)
            self.save(update_fields=["tags"])

    @property
    def suspended(self) -> bool:
        """Every card of it suspended (from the prefetched cards): the row is greyed out."""
        return all(card.suspended for card in self.cards.all())

    def new_cards(self, directions: Iterable[str]) -> list["Card"]:
        """Unsaved new cards of this (saved) phrase, one for each direction."""
        return [
            Card(phrase=self, owner_id=self.owner_id, deck_id=self.deck_id, direction=direction)
            for direction in directions
        ]

    @transaction.atomic
    def add_with_cards(self, directions: Iterable[str] | None = None) -> list["Card"]:
        """Save the new phrase with a card for each direction (by default its deck's)."""
        self.save()
        chosen = self.deck.new_phrase_directions if directions is None else directions
        return Card.objects.bulk_create(self.new_cards(chosen))

    def add_direction(self, direction: str) -> "Card":
        card = self.new_cards([direction])[0]
        card.save()
        return card

    def drop_direction(self, direction: str) -> None:
        """Delete the card of one direction and its history; the last card stays."""
        with transaction.atomic():
            cards = list(self.cards.select_for_update().order_by("id"))
            if len(cards) <= 1:
                raise LastDirection(self.pk)
            self.cards.filter(direction=direction).delete()


class LastDirection(Exception):
    """A phrase keeps at least one card: dropping its last direction is refused."""


class CardQuerySet(models.QuerySet["Card"]):
    def for_user(self, user: User) -> Self:
        return self.filter(owner=user)

    def active(self) -> Self:
        return self.filter(suspended=False)

    def new(self) -> Self:
        return self.active().filter(last_review__isnull=True)

    def due(self, now: datetime) -> Self:
        """Cards seen before whose time has come (learning, review and relearning)."""
        return self.active().filter(last_review__isnull=False, due__lte=now)

    def unburied(self, now: datetime) -> Self:
        """Cards not waiting for the next day after a sibling's review."""
        return self.filter(Q(buried_until__isnull=True) | Q(buried_until__lte=now))


class Card(models.Model):
    """One direction of a phrase, with its own FSRS schedule."""

    phrase = models.ForeignKey(Phrase, on_delete=models.CASCADE, related_name="cards")
    direction = models.CharField(
        max_length=12, choices=Direction.choices, default=Direction.RECOGNITION
    )
    # The owner and the deck are the phrase's, kept on the card so that the due queue is one
    # index range scan ("this user's unsuspended cards due before now") with no join, and the
    # per-deck limits filter on the card.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    suspended = models.BooleanField(_("suspended"), default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    # FSRS state in columns, so the due queue is an indexed query (see scheduling.py).
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(default=timezone.now)
    last_review = models.DateTimeField(null=True, blank=True)
    # Bumped by every review and undo: a grade names the version it was made on, so a double
    # tap or a retried request cannot grade the same card twice.
    version = models.PositiveIntegerField(default=0)
    # Anki's "bury siblings": once another card of the phrase is reviewed, this one waits for
    # the learner's next local day.
    buried_until = models.DateTimeField(null=True, blank=True, editable=False)
    # Times the card was forgotten once learned (Again on a review card): what makes a leech.
    # Undo takes a lapse back (ReviewLog.undo); a reset starts again from none.
    lapses = models.PositiveIntegerField(default=0, editable=False)

    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # Exactly study_queue's filter and order: seen cards by due date, then new ones.
            models.Index(
                F("owner"),
                IS_NEW,
                F("due"),
                F("id"),
                condition=Q(suspended=False),
                name="card_study_queue",
            ),
            models.Index(fields=["deck", "id"], name="card_deck_id"),
            # The day's counts (cards.day), which read no more rows than today's limits let
            # through: seen cards by due date, cards buried until tomorrow, new cards.
            models.Index(
                fields=["deck", "due"],
                condition=Q(suspended=False, last_review__isnull=False),
                name="card_deck_seen_due",
            ),
            models.Index(
                fields=["deck", "buried_until"],
                condition=Q(buried_until__isnull=False),
                name="card_deck_buried",
            ),
            # New cards by deck, for their count: card_study_queue cannot serve it (PostgreSQL
            # never takes its "last_review IS NULL" column as a condition), and read through it
            # a deck without new cards had every card of the learner read on every screen.
            models.Index(
                fields=["deck", "due", "id"],
                condition=Q(suspended=False, last_review__isnull=True),
                name="card_deck_new",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["phrase", "direction"], name="card_one_per_direction")
        ]

    def __str__(self) -> str:
        return f"{self.phrase_id} ({self.direction})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.owner_id is None and self.phrase_id is not None:
            self.owner_id, self.deck_id = self.phrase.owner_id, self.phrase.deck_id
        super().save(*args, **kwargs)

    @property
    def is_production(self) -> bool:
        return self.direction == Direction.PRODUCTION

    @property
    def is_typed(self) -> bool:
        """The learner types the answer: a production card in a deck that asks for it."""
        return self.is_production and self.deck.typed_answers

    @property
    def is_listening(self) -> bool:
        return self.direction == Direction.LISTENING

    @property
    def is_new(self) -> bool:
        return self.last_review is None

    def _scheduler(self, learner: User, *, fuzzing: bool | None = None) -> fsrs.Scheduler:
        # The learner is an argument, not self.owner: the scheduler needs their settings, and a
        # card fetched without its owner would otherwise cost a query for each one.
        if learner.pk != self.owner_id:
            raise ValueError("a card is scheduled for its owner only")
        return scheduling.scheduler_for(learner, fuzzing=fuzzing)

    def review(
        self,
        rating: int,
        *,
        learner: User,
        now: datetime | None = None,
        duration_ms: int | None = None,
        version: int | None = None,
    ) -> "ReviewLog":
        """Grade the card: the one path by which a rating changes a card.

        `learner` is the card's owner, whose settings schedule it. `version`, when given, is
        the card version the learner saw; a grade made on any other version raises StaleReview
        and changes nothing.
        """
        now = now or timezone.now()
        expected = self.version if version is None else version
        # Load balance's counts of the learner's days, read at most once and moved by this grade.
        loads = load.LearnerLoad(learner, now) if load_balance() else None
        fields, log = self.graded(
            rating, learner=learner, now=now, duration_ms=duration_ms, loads=loads
        )
        # The lapse that makes the card a leech tags its phrase, and suspends the card unless
        # the deck only tags (log.made_leech tells the review screen and the bot to say so).
        log.made_leech = fields["lapses"] > self.lapses and is_leech_point(
            fields["lapses"], self.deck.leech_threshold
        )
        if log.made_leech and self.deck.leech_action == LeechAction.SUSPEND:
            fields["suspended"] = True
        tomorrow = local_day_start(learner, now) + timedelta(days=1)
        # A leech's tag is written with its grade, in one transaction; an ordinary grade is one
        # statement on PostgreSQL, which needs none.
        with transaction.atomic(savepoint=False) if log.made_leech else nullcontext():
            updated = self._save_grade(
                {"updated": now, **fields}, log, version=expected, bury=tomorrow
            )
            if updated and log.made_leech:
                self.phrase.tag_leech()
        if not updated:
            raise StaleReview(self.pk)
        if loads is not None:
            self._move_load(learner, loads, fields)
        for name, value in fields.items():
            setattr(self, name, value)
        self.version = expected + 1
        self.updated = now
        return log

    def _move_load(self, learner: User, loads: "load.LearnerLoad", fields: dict[str, Any]) -> None:
        """Keep load balance's counts of the learner's days (cards.load) true: this card left
        the day it was due on for its new due day. Once the grade is written (inside a caller's
        transaction that then fails, a count is one off: cards.load says why that is fine)."""
        suspended = fields.get("suspended", self.suspended)
        after = None if suspended else load.local_date(learner, fields["due"])
        loads.move(before=self._counted_on(learner), after=after)

    def _save_grade(
        self, fields: dict[str, Any], log: "ReviewLog", *, version: int, bury: datetime
    ) -> bool:
        """The grade's one UPDATE and its log's INSERT: the card gets `fields` and its next
        version if it still has `version`, and then, in the same statement, the phrase's other
        cards wait until `bury` (Anki's "bury siblings"); `log` is written only then. Whether
        the card was graded.

        A conditional UPDATE, not a read-then-write: of two concurrent grades of the same
        version the database lets exactly one through, and a stale grade (a double tap, a
        retry after an undo) buries and logs nothing. Written by hand: the ORM's two UPDATEs
        and save() cost several times their SQL on every grade."""
        values = rows.db_values(Card, fields)
        params = {**values, "card": self.pk, "phrase": self.phrase_id, "version": version}
        params["bury"] = rows.db_values(Card, {"buried_until": bury})["buried_until"]
        sql = _grade_sql(tuple(values), connection.vendor)
        if connection.vendor != "postgresql":
            # SQLite takes no UPDATE in a WITH: the UPDATE, then the INSERT, in a transaction.
            with transaction.atomic(savepoint=False), connection.cursor() as cursor:
                cursor.execute(sql, params)
                if not any(pk == self.pk for (pk,) in cursor.fetchall()):
                    return False
                rows.insert(log)
                return True
        params |= {f"log_{column}": value for column, value in rows.new_row(log).items()}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return False
        rows.saved(log, row[0])
        return True

    def graded(
        self,
        rating: int,
        *,
        learner: User,
        now: datetime,
        duration_ms: int | None = None,
        loads: "load.LearnerLoad | None" = None,
    ) -> tuple[dict[str, Any], "ReviewLog"]:
        """What a grade makes of the card, in memory: its new FSRS fields and lapse count, and
        the unsaved log (review() saves them; an import's replay applies them in a row and
        writes in bulk).

        With `loads` (a grade made now with load balance on, not a replayed one), the due day
        is drawn from fsrs's fuzz range weighted by the learner's load; otherwise fsrs draws it
        (with fuzzing off, the due date is exactly fsrs's)."""
        if rating not in scheduling.Rating.ALL:
            raise ValueError(f"rating must be 1-4, not {rating!r}")
        sched = self._scheduler(learner, fuzzing=False if loads is not None else None)
        fcard, _log = sched.review_card(
            scheduling.to_fsrs(self),
            scheduling.fsrs.Rating(rating),
            review_datetime=scheduling.utc(now),
            review_duration=duration_ms,
        )
        if loads is not None and fcard.state == fsrs.State.Review:
            fcard.due = self._balanced_due(learner, now, fcard.due, sched.maximum_interval, loads)
        log = ReviewLog(
            card=self,
            user_id=self.owner_id,
            rating=rating,
            reviewed_at=now,
            duration_ms=duration_ms,
            **{f"{name}_before": value for name, value in self.snapshot().items()},
        )
        lapse = rating == scheduling.Rating.AGAIN and self.state == State.REVIEW
        return {**scheduling.fsrs_fields(fcard), "lapses": self.lapses + lapse}, log

    def _balanced_due(
        self,
        learner: User,
        now: datetime,
        due: datetime,
        maximum_interval: int,
        loads: "load.LearnerLoad",
    ) -> datetime:
        """The due time fsrs gave (unfuzzed), moved to a day of its fuzz range drawn by the
        learner's load: likelier where fewer cards are due, and not on an easy weekday while
        another day of the range can take it (cards.scheduling.balanced_days)."""
        days = (due - now).days
        if days < 3:  # fsrs fuzzes no shorter interval
            return due
        shortest, longest = scheduling.fuzz_range(days, maximum_interval)
        if days > scheduling.MAX_BALANCED_INTERVAL:
            return now + timedelta(days=scheduling.fuzzed_days(shortest, longest))
        offsets = range(shortest, longest + 1)
        local_days = [load.local_date(learner, now + timedelta(days=k)) for k in offsets]
        counts = loads.on(local_days, self._counted_cards)
        # This card's own due day counts it too, and it is leaving that day.
        own = self._counted_on(learner)
        if own in counts:
            counts[own] = max(counts[own] - 1, 0)
        easy = set(learner.easy_days)
        chosen = scheduling.balanced_days(
            shortest,
            [counts[day] for day in local_days],
            [day.weekday() in easy for day in local_days],
        )
        return now + timedelta(days=chosen)

    def _counted_cards(self) -> "CardQuerySet":
        """The cards whose due days load balance counts: the owner's, seen, not suspended."""
        return Card.objects.filter(SEEN, owner_id=self.owner_id, suspended=False)

    def _counted_on(self, learner: User) -> date | None:
        """The local day whose load counts this card: its due day, if seen and not suspended."""
        if self.last_review is None or self.suspended:
            return None
        return load.local_date(learner, self.due)

    def reset(self) -> None:
        """Back to new, as if never studied (Anki's "forget", lapses included); the history
        stays. Also brings a suspended card back (one UPDATE)."""
        fields = {
            "state": State.LEARNING,
            "step": 0,
            "stability": None,
            "difficulty": None,
            "due": timezone.now(),
            "last_review": None,
            "lapses": 0,
            "suspended": False,
        }
        Card.objects.filter(pk=self.pk).update(
            version=F("version") + 1, updated=fields["due"], **fields
        )
        for name, value in fields.items():
            setattr(self, name, value)
        self.version += 1

    def replay(
        self, history: "list[tuple[datetime, int, int | None]]", *, learner: User
    ) -> "list[ReviewLog]":
        """Grade an unsaved card review by review, in memory, as review() would have: the card
        ends in the state the history implies; the unsaved logs are returned for bulk_create."""
        logs = []
        for reviewed_at, rating, duration_ms in history:
            fields, log = self.graded(
                rating, learner=learner, now=reviewed_at, duration_ms=duration_ms
            )
            for name, value in fields.items():
                setattr(self, name, value)
            self.version += 1
            logs.append(log)
        return logs

    def snapshot(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ReviewLog.SNAPSHOT_FIELDS}

    def preview(self, *, learner: User, now: datetime | None = None) -> dict[int, datetime]:
        """The due time each rating would give, without saving (for the grade buttons)."""
        now = now or timezone.now()
        fcard = scheduling.to_fsrs(self)
        sched = self._scheduler(learner, fuzzing=False)
        return {
            rating: sched.review_card(
                fcard, scheduling.fsrs.Rating(rating), review_datetime=scheduling.utc(now)
            )[0].due
            for rating in scheduling.Rating.ALL
        }


class ReviewLog(models.Model):
    SNAPSHOT_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review")
    # Set by Card.review, not stored: this grade made the card a leech (the screen says so).
    made_leech: bool = False

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    rating = models.PositiveSmallIntegerField()
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The card as it was before this review: enough to undo it exactly and for statistics.
    state_before = models.PositiveSmallIntegerField(choices=State.choices)
    step_before = models.PositiveSmallIntegerField(null=True)
    stability_before = models.FloatField(null=True)
    difficulty_before = models.FloatField(null=True)
    due_before = models.DateTimeField()
    last_review_before = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="reviewlog_user_time"),
            models.Index(fields=["card", "reviewed_at"], name="reviewlog_card_time"),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} rated {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"

    @transaction.atomic
    def undo(self, *, learner: User) -> None:
        """Put the card back exactly as it was before this review and forget the review.

        Undo and grade serialise on the card. The card's row is locked first (a no-op on
        SQLite, whose transactions take the write lock when they begin), which waits for a
        grade in flight; then one UPDATE, a new statement that sees every review committed
        before the lock, restores the card only if this review is still there and the latest,
        and bumps the version it read, so a grade that waited for the lock finds its version
        gone (StaleReview) and changes nothing.
        """
        locked = (
            Card.objects.select_for_update(of=("self",))
            .filter(pk=self.card_id)
            .annotate(has_siblings=siblings())
            .values_list("version", "phrase_id", "has_siblings", "lapses", "deck__leech_threshold")
            .first()
        )
        if locked is None:  # the card is gone, and this review with it
            raise ValueError("only the card's latest review can be undone")
        version, phrase_id, has_siblings, lapses, threshold = locked
        mine = ReviewLog.objects.filter(pk=self.pk)
        later = ReviewLog.objects.filter(card_id=OuterRef("pk")).filter(
            Q(reviewed_at__gt=self.reviewed_at) | Q(reviewed_at=self.reviewed_at, pk__gt=self.pk)
        )
        restored: dict[str, Any] = {
            name: getattr(self, f"{name}_before") for name in self.SNAPSHOT_FIELDS
        }
        # A lapse is taken back; the one that made the card a leech also its suspension (the
        # card was being studied), and the tag it put on the phrase.
        made_leech = False
        if self.rating == scheduling.Rating.AGAIN and self.state_before == State.REVIEW:
            restored["lapses"] = Greatest(F("lapses") - 1, 0)
            made_leech = is_leech_point(lapses, threshold)
            if made_leech:
                restored["suspended"] = False
        updated = Card.objects.filter(
            Exists(mine), ~Exists(later), pk=self.card_id, version=version
        ).update(version=F("version") + 1, **restored)
        if not updated:
            raise ValueError("only the card's latest review can be undone")
        self.delete()
        load.due_counts_forget(learner)
        if made_leech and lapses == threshold:
            Phrase.objects.get(pk=phrase_id).untag_leech()
        if has_siblings:
            self._unbury_siblings(phrase_id, learner=learner)

    def _unbury_siblings(self, phrase_id: int, *, learner: User) -> None:
        """Bring the phrase's other cards back today unless a card of the phrase was still
        reviewed on the undone review's day (one UPDATE)."""
        day_start = local_day_start(learner, self.reviewed_at)
        reviewed_that_day = ReviewLog.objects.filter(
            card__phrase_id=phrase_id,
            reviewed_at__gte=day_start,
            reviewed_at__lt=day_start + timedelta(days=1),
        )
        Card.objects.filter(
            ~Exists(reviewed_that_day), phrase_id=phrase_id, buried_until__isnull=False
        ).exclude(pk=self.card_id).update(buried_until=None)


class DeckShare(models.Model):
    """A deck's share link. Revoking deletes it: the token then opens nothing, and sharing again
    makes a new token, so a link that went further than intended stays dead."""

    deck = models.OneToOneField(Deck, on_delete=models.CASCADE, related_name="share")
    # secrets.token_urlsafe: only [A-Za-z0-9_-], which Telegram allows in a startapp parameter.
    token = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.deck} ({self.token})"


class ImportJob(models.Model):
    """One import, run by a background task (cards.importing.jobs): the file until it is read,
    the progress the task reports, then the report or why it failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="import_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The import form's fields as posted, and the file (or the pasted text) until it is read:
    # in the database because the worker may run on another machine.
    form_data = models.JSONField(default=dict)
    upload = models.BinaryField(default=b"")
    upload_name = models.CharField(max_length=255, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True)
    error = models.TextField(blank=True)
    created_decks = models.JSONField(default=list)
    task_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The task's lease: renewed with each batch; a running job whose lease ran out was left by
    # a worker that died.
    heartbeat = models.DateTimeField(null=True)
    finished = models.DateTimeField(null=True)
    dismissed = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["deck", "-created"], name="importjob_deck_created")]

    def __str__(self) -> str:
        return f"import {self.pk} into {self.deck_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("deck_import_job", args=[self.deck_id, self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def days_to_see(self) -> int | None:
        """How many days the deck's new-card limit takes to show the cards this import added."""
        if self.status != self.Status.DONE or not self.report:
            return None
        # Each of the deck's directions is a new card for the deck's new-card limit.
        return self.deck.days_to_see(self.report.get("cards_added", self.report.get("added", 0)))


class ExportJob(models.Model):
    """One "Export all my data", built by a background task (cards.export_jobs): the finished
    zip waits here, in the database because the worker may run on another machine, until it
    expires (EXPORT_KEPT) and the hourly sweep removes it; or why it failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Preparing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    archive = models.BinaryField(default=b"")
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The task's lease: renewed as each file of the zip is written; a running job whose lease
    # ran out was left by a worker that died.
    heartbeat = models.DateTimeField(null=True)
    finished = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created"], name="exportjob_owner_created")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.owner_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("everything_export_job", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class ComputingJob(models.Model):
    """What a learner's computation in the background keeps (a parameter fit, a retention
    simulation): its status or why it failed, its task, and the lease — a job still running
    long after it started was left by a dead worker (phraseweaver.tasks.claim_job)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Computing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True)
    finished = models.DateTimeField(null=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class ParameterFit(ComputingJob):
    """One fit of a learner's personal FSRS parameters (cards.parameter_jobs), kept as their
    history: the job's status (or why it failed), how many reviews it read, the parameters it
    found and how well they and the learner's parameters of the time predicted the held-out
    reviews, and whether they were adopted."""

    # Reviews on a different day from the card's previous review: what a fit learns from.
    reviews = models.PositiveIntegerField(default=0)
    # Empty when there was not enough history to fit.
    parameters = models.JSONField(default=list)
    # On the held-out reviews: the parameters found, and the learner's parameters of the time.
    log_loss = models.FloatField(null=True)
    rmse = models.FloatField(null=True)
    current_log_loss = models.FloatField(null=True)
    current_rmse = models.FloatField(null=True)
    adopted = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created"], name="parameterfit_owner_created")]

    def __str__(self) -> str:
        return f"parameter fit {self.pk} of {self.owner_id} ({self.status})"


def siblings() -> Exists:
    """Whether the phrase of the outer query's card has other cards."""
    return Exists(Card.objects.filter(phrase=OuterRef("phrase")).exclude(pk=OuterRef("pk")))


def bulk_add_phrases(phrases: list[Phrase], directions: Iterable[str]) -> list[Card]:
    """Save new phrases, each with a new card for each direction (two INSERTs a batch)."""
    Phrase.objects.bulk_create(phrases)
    directions = list(directions)
    return Card.objects.bulk_create([c for p in phrases for c in p.new_cards(directions)])


def get_deck_for_user(user: User, deck_id: int) -> Deck:
    """The user's deck, or 404: another learner's deck does not exist for this user."""
    return get_object_or_404(Deck.objects.for_user(user), pk=deck_id)


def get_phrase_for_user(user: User, phrase_id: int) -> Phrase:
    return get_object_or_404(Phrase.objects.for_user(user).select_related("deck"), pk=phrase_id)


class RetentionSimulation(ComputingJob):
    """One run of the retention helper (cards.retention): a year of reviews simulated with the
    learner's FSRS parameters at several desired retentions, what the simulator was told about
    the learner, and the retention optimal_retention suggests. The latest run is shown."""

    # What the simulator was told: the learner's retention and parameters of the time, the
    # cards (not suspended), the decks' daily limits, and how many timed reviews gave the
    # seconds a review takes (0: FSRS's default times).
    desired_retention = models.FloatField(null=True)
    personal_parameters = models.BooleanField(default=False)
    cards = models.PositiveIntegerField(default=0)
    new_per_day = models.PositiveIntegerField(default=0)
    reviews_per_day = models.PositiveIntegerField(default=0)
    timed_reviews = models.PositiveIntegerField(default=0)
    # One row per retention: retention, reviews (a day), minutes (a day), knowledge (cards
    # remembered after a year).
    results = models.JSONField(default=list)
    suggested = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created"], name="retentionsim_owner_created")]

    def __str__(self) -> str:
        return f"retention simulation {self.pk} of {self.owner_id} ({self.status})"
