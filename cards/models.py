from datetime import datetime
from typing import Any, Self

import fsrs
from django.conf import settings
from django.db import models, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cards import scheduling

# "Never reviewed": the study queue orders by it (seen cards first) and its index holds it.
IS_NEW = ExpressionWrapper(Q(last_review__isnull=True), output_field=BooleanField())


class StaleReview(Exception):
    """The card was graded (or its grade undone) since the client loaded it."""


class State(models.IntegerChoices):
    LEARNING = 1, _("Learning")
    REVIEW = 2, _("Review")
    RELEARNING = 3, _("Relearning")


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

    objects = DeckQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["owner", "name"], name="deck_owner_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("deck", args=[self.pk])


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


class Card(models.Model):
    # The owner is the deck's owner, kept on the card so that the due queue is one index range
    # scan ("this user's unsuspended cards due before now") with no join.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", editable=False
    )
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    front = models.CharField(_("front"), max_length=1000)
    back = models.CharField(_("back"), max_length=1000)
    example = models.TextField(_("example"), blank=True, max_length=2000)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    tags = models.CharField(_("tags"), max_length=500, blank=True)
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
    # The import that added the card, until it is over: a failed or abandoned import removes
    # the cards it had committed by this mark.
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

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
        ]

    def __str__(self) -> str:
        return self.front

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.owner_id is None and self.deck_id is not None:
            self.owner_id = self.deck.owner_id
        super().save(*args, **kwargs)

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
        fields, log = self.graded(rating, learner=learner, now=now, duration_ms=duration_ms)
        # No savepoint: inside a caller's transaction (the grade view's) the card and its log
        # are part of that transaction, and a stale grade has written nothing to roll back.
        with transaction.atomic(savepoint=False):
            # A conditional UPDATE, not a read-then-write: of two concurrent grades of the same
            # version, the database lets exactly one through.
            updated = Card.objects.filter(pk=self.pk, version=expected).update(
                version=F("version") + 1, updated=now, **fields
            )
            if updated:
                log.save(force_insert=True)
        if not updated:
            raise StaleReview(self.pk)
        for name, value in fields.items():
            setattr(self, name, value)
        self.version = expected + 1
        self.updated = now
        return log

    def graded(
        self, rating: int, *, learner: User, now: datetime, duration_ms: int | None = None
    ) -> tuple[dict[str, Any], "ReviewLog"]:
        """What a grade makes of the card, in memory: its new FSRS fields and the unsaved log
        (review() saves them; an import's replay applies them in a row and writes in bulk)."""
        if rating not in scheduling.Rating.ALL:
            raise ValueError(f"rating must be 1-4, not {rating!r}")
        fcard, _log = self._scheduler(learner).review_card(
            scheduling.to_fsrs(self),
            scheduling.fsrs.Rating(rating),
            review_datetime=scheduling.utc(now),
            review_duration=duration_ms,
        )
        log = ReviewLog(
            card=self,
            user_id=self.owner_id,
            rating=rating,
            reviewed_at=now,
            duration_ms=duration_ms,
            **{f"{name}_before": value for name, value in self.snapshot().items()},
        )
        return scheduling.fsrs_fields(fcard), log

    def replay(
        self, history: "list[tuple[datetime, int, int]]", *, learner: User
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
    def undo(self) -> None:
        """Put the card back exactly as it was before this review and forget the review."""
        latest = ReviewLog.objects.filter(card_id=self.card_id).order_by("-reviewed_at", "-id")
        if latest.values_list("pk", flat=True).first() != self.pk:
            raise ValueError("only the card's latest review can be undone")
        restored = {name: getattr(self, f"{name}_before") for name in self.SNAPSHOT_FIELDS}
        Card.objects.filter(pk=self.card_id).update(version=F("version") + 1, **restored)
        self.delete()


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


def get_deck_for_user(user: User, deck_id: int) -> Deck:
    """The user's deck, or 404: another learner's deck does not exist for this user."""
    return get_object_or_404(Deck.objects.for_user(user), pk=deck_id)


def get_card_for_user(user: User, card_id: int) -> Card:
    return get_object_or_404(Card.objects.for_user(user).select_related("deck"), pk=card_id)
