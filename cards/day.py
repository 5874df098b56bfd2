"""The learner's day: what is due now, what today's limits still allow, what they hold back,
and when the next card comes.

Every screen and message that speaks of "today" asks a LearnerDay: home, the deck screens, the
review, the bot's /stats and in-chat review, reminders and statistics. So the same thing has
the same number everywhere (bot/tests/test_same_numbers.py puts one learner in front of each).

Days are the learner's local days (midnight in `user.time_zone`). "New" is a card never
reviewed; "due" is a card seen before whose time has come. Each deck has its own daily limits,
as in Anki, counted from today's review logs of its cards: a review of a new card uses up the
deck's new-card limit, any other its review limit; the learner may add a ceiling over all
decks. When nothing else is left, learning cards due within the learn-ahead window count as
due now.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypedDict, cast

from django.db.models import Count, Min, QuerySet, Window
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from cards import queries
from cards.models import IS_NEW, Card, Deck, ReviewLog, local_day_start

if TYPE_CHECKING:  # django-stubs-ext is a development requirement only
    from django_stubs_ext import WithAnnotations


class DeckCounts(TypedDict):
    """What decks() annotates each deck with: its phrases and cards, and what was studied in it
    today."""

    due_count: int  # the counts of cards stop at what the deck's limits still let through
    new_count: int
    ahead_count: int
    buried: bool
    new_done: int
    reviews_done: int
    session_last_id: int | None


class DeckTotals(TypedDict):
    """What decks(totals=True) adds: the deck's size, all its phrases and cards."""

    phrase_count: int
    card_count: int
    seen: bool  # a card in it has been reviewed before, and so can be reviewed ahead


class DeckDay(DeckCounts, DeckTotals):
    """What a deck from decks_today() or deck_today() carries besides its fields: the counts,
    what its own limits still allow today, and what studying it shows now (set by deck_list)."""

    new_left: int
    reviews_left: int
    due_today: int
    new_today: int
    studyable: bool
    more_new: bool  # its own new-card limit holds new cards back: "study more" can let them in


# Still Deck instances (templates and views read their fields as well as these numbers);
# django-stubs types the extra attributes of annotated model instances this way.
CountedDeck: TypeAlias = "WithAnnotations[Deck, DeckCounts]"
DeckToday: TypeAlias = "WithAnnotations[Deck, DeckDay]"

# The ceiling when the learner has none.
UNLIMITED = 10**9


def streaks(days: set[date], today: date) -> tuple[int, int]:
    """The current streak (alive until today ends without a review) and the longest one."""
    current = 0
    day = today if today in days else today - timedelta(days=1)
    while day in days:
        current += 1
        day -= timedelta(days=1)
    longest, run, previous = 0, 0, None
    for day in sorted(days):
        run = run + 1 if previous == day - timedelta(days=1) else 1
        longest, previous = max(longest, run), day
    return current, longest


@dataclass(frozen=True)
class Glance:
    """Today in four numbers, as home and the bot's /stats show them."""

    due: int
    new: int
    reviewed: int
    streak: int

    @property
    def studyable(self) -> bool:
        return bool(self.due or self.new)


class Upcoming(NamedTuple):
    """For the summary: when the next card comes, whether limits hold cards back, and whether
    cards seen before come later (to review ahead)."""

    at: datetime | None
    held: bool
    later: bool


class LearnerDay:
    """One learner's day at one moment. The decks with today's counts cost one query, made on
    first use; `since`, a review session's start, adds the session's latest review to it."""

    def __init__(
        self,
        user: User,
        now: datetime | None = None,
        *,
        since: datetime | None = None,
        totals: bool = False,
    ):
        self.user = user
        self.now = now or timezone.now()
        self.day_start = local_day_start(user, self.now)
        self.next_day_start = self.day_start + timedelta(days=1)
        self.today = self.day_start.date()
        self.since = since
        # The deck's size (its phrases and cards) for the screens that show it: home and the
        # deck screens, not the review, which must not read every card on every screen.
        self.totals = totals
        # Learning cards due before this are shown now when nothing else is left, as in Anki.
        self.ahead_until = self.now + timedelta(minutes=user.learn_ahead_minutes)

    # --- what is waiting, and what has been done today, deck by deck -----------------------

    def decks(self) -> list[CountedDeck]:
        """The learner's decks, each with its due, new and learn-ahead counts and today's
        reviews of new and of seen cards in it (one query: cards.queries).

        Each count stops at what the deck's own limits still let through today (one more, so
        that "held back by a limit" still shows): each is a range of a partial index read up
        to that cap, however many cards are due.
        """
        return cast(list[CountedDeck], queries.counted_decks(*self.decks_sql()))

    def decks_sql(self) -> tuple[str, dict[str, Any]]:
        return queries.deck_counts(
            user_id=self.user.pk,
            now=self.now,
            ahead_until=self.ahead_until,
            today=self.today,
            day_start=self.day_start,
            since=self.since or self.day_start,
            totals=self.totals,
        )

    @cached_property
    def _counted(self) -> list[DeckToday]:
        """decks(), each with what its own limits still allow today (the query, made once)."""
        return [self._limit(deck) for deck in self.decks()]

    @cached_property
    def deck_list(self) -> list[DeckToday]:
        """The decks with what studying each of them shows now, within the ceiling."""
        for deck in self._counted:
            deck.due_today, deck.new_today = self._now_studyable([deck])
            deck.studyable = bool(deck.due_today or deck.new_today)
            # Not past the ceiling, though: there, more new cards would still not come.
            deck.more_new = bool(self.ceiling_left) and deck.new_count > deck.new_left
        return self._counted

    def decks_today(self) -> list[DeckToday]:
        """The decks with `due_today` and `new_today`: what studying each of them shows now."""
        return self.deck_list

    def deck_today(self, deck_id: int) -> DeckToday:
        """One of the learner's decks (404 for anyone else's), as decks_today() has it."""
        for deck in self.deck_list:
            if deck.pk == deck_id:
                return deck
        raise Http404("No such deck")

    def _limit(self, deck: CountedDeck) -> DeckToday:
        today = cast(DeckToday, deck)  # the same object, which gains today's numbers here
        # SQLite answers a comparison (buried) or an EXISTS (seen) with 0 or 1.
        today.buried = bool(deck.buried)
        if self.totals:
            today.seen = bool(today.seen)
        today.new_left = max(deck.new_limit_on(self.today) - deck.new_done, 0)
        today.reviews_left = max(deck.reviews_per_day - deck.reviews_done, 0)
        return today

    def _scope(self, deck: Deck | None) -> list[DeckToday]:
        return self.deck_list if deck is None else [self.deck_today(deck.pk)]

    def _waiting(self, decks: list[DeckToday]) -> tuple[int, int, int]:
        """Of the due, new and learn-ahead cards waiting in `decks`, how many the decks' own
        limits let the learner study (before the overall ceiling)."""
        due = sum(min(d.due_count, d.reviews_left) for d in decks)
        new = sum(min(d.new_count, d.new_left) for d in decks)
        ahead = sum(min(d.ahead_count, d.reviews_left) for d in decks)
        return due, new, ahead

    def _now_studyable(self, decks: list[DeckToday]) -> tuple[int, int]:
        """How many due and new cards studying `decks` shows now: each deck within its own
        limits, all of them within the ceiling; learning cards due soon count as due when
        nothing else is left."""
        due, new, ahead = self._waiting(decks)
        left = self.ceiling_left
        due, new = min(due, left), min(new, max(left - due, 0))
        return (due, new) if due or new else (min(ahead, left), 0)

    # --- today's totals -------------------------------------------------------------------

    @property
    def new_done(self) -> int:
        return sum(deck.new_done for deck in self.deck_list)

    @property
    def reviews_done(self) -> int:
        return sum(deck.reviews_done for deck in self.deck_list)

    @property
    def reviewed(self) -> int:
        return sum(deck.new_done + deck.reviews_done for deck in self._counted)

    @property
    def ceiling_left(self) -> int:
        """How many more cards the overall daily ceiling allows (without one: no end)."""
        if self.user.daily_ceiling is None:
            return UNLIMITED
        return max(self.user.daily_ceiling - self.reviewed, 0)

    @property
    def new_left(self) -> int:
        return min(sum(deck.new_left for deck in self.deck_list), self.ceiling_left)

    @property
    def reviews_left(self) -> int:
        return min(sum(deck.reviews_left for deck in self.deck_list), self.ceiling_left)

    def glance(self, decks: list[DeckToday]) -> Glance:
        """Today over all decks from decks_today(), with the streak (one more query)."""
        due, new = self._now_studyable(decks)
        return Glance(due=due, new=new, reviewed=self.reviewed, streak=self.streak())

    # --- the study queue ------------------------------------------------------------------

    def next_in_queue(self, *, deck: Deck | None = None) -> tuple[Card | None, int, int]:
        """The first card of the queue, with how many due and new cards the limits let the
        learner study now: over all decks, what glance() says."""
        decks = self._scope(deck)
        due, new = self._now_studyable(decks)
        card = next(iter(self.queue(deck=deck, limit=1)), None)
        if card is not None:
            # The card's deck is one of those counted: no join, no second copy of its row.
            card.deck = next(d for d in decks if d.pk == card.deck_id)
        return card, due, new

    def queue(self, *, deck: Deck | None = None, limit: int | None = None) -> list[Card]:
        """The cards to study now, in order, each with its phrase: due cards first (oldest
        first), then new cards; when neither is left, learning cards due within the
        learn-ahead window.

        One query, read off the card_study_queue index, and none when nothing is left.
        Respects suspension, each deck's limits and the overall ceiling.
        """
        statement = self.queue_sql(deck=deck, limit=limit)
        return [] if statement is None else queries.cards_with_phrases(*statement)

    def queue_sql(
        self, *, deck: Deck | None = None, limit: int | None = None
    ) -> tuple[str, dict[str, Any]] | None:
        """queue()'s statement and its parameters; None when nothing is left to study."""
        decks = self._scope(deck)
        due, new, ahead = self._waiting(decks)
        if not self.ceiling_left or not (due or new or ahead):
            return None
        with_reviews = [d.pk for d in decks if d.reviews_left]
        return queries.study_queue(
            user_id=self.user.pk,
            now=self.now,
            ahead_until=self.ahead_until,
            deck_id=None if deck is None else deck.pk,
            due_decks=with_reviews if due else [],
            new_decks=[d.pk for d in decks if d.new_left] if new else [],
            ahead_decks=with_reviews,
            limit=limit,
        )

    def review_ahead(
        self, *, days: int, since: datetime, deck: Deck | None = None
    ) -> tuple[Card | None, int]:
        """ "Study more": the first of the cards seen before and due within `days`, earliest
        first, whatever today's limits, with how many there are (one query). A card reviewed
        since the session's start does not come back in it."""
        queue = (
            self._cards(deck)
            .filter(last_review__isnull=False, last_review__lt=since)
            .filter(due__lte=self.now + timedelta(days=days))
            .select_related("deck", "phrase__speech")
            .order_by(IS_NEW, "due", "id")
            .annotate(waiting=Window(Count("id")))
        )
        card = queue.first()
        return card, card.waiting if card is not None else 0

    def held_new(self, *, deck: Deck | None = None) -> list[DeckToday]:
        """The decks whose own new-card limit holds new cards back today ("study more" can let
        more in), unless the ceiling over all decks is reached."""
        return [d for d in self._scope(deck) if d.more_new]

    def next_card_at(self, *, deck: Deck | None = None) -> Upcoming:
        """When the next card can be studied, whether today's limits hold cards back, and
        whether any card seen before is due later (to review ahead).

        For when the queue is empty: any new or due card left is held back by a limit until
        tomorrow; otherwise the next card is the earliest one to fall due, or tomorrow for a
        deck whose review limit is used up (one query).
        """
        decks = self._scope(deck)
        held = any(d.due_count or d.new_count for d in decks)
        # A card buried after its sibling's review comes tomorrow.
        buried = any(d.buried for d in decks)
        times = [self.next_day_start] if held or buried else []
        room = {d.pk for d in decks if d.reviews_left and self.ceiling_left}
        first_due = (
            self._cards(deck)
            .filter(last_review__isnull=False, due__gt=self.now)
            .values("deck")
            .annotate(first=Min("due"))
            .values_list("deck", "first")
            .order_by()
        )
        later = False
        for deck_id, first in first_due:
            times.append(first if deck_id in room else max(first, self.next_day_start))
            later = True
        return Upcoming(min(times, default=None), held, later)

    def _cards(self, deck: Deck | None = None) -> QuerySet[Card]:
        """The cards that can be studied now: not suspended, not buried until tomorrow."""
        cards = Card.objects.for_user(self.user).active().unburied(self.now)
        return cards if deck is None else cards.filter(deck=deck)

    # --- the streak -----------------------------------------------------------------------

    def streak(self) -> int:
        """Consecutive local days with at least one review, ending today or yesterday (one
        query)."""
        days = (
            ReviewLog.objects.filter(user=self.user, reviewed_at__lt=self.next_day_start)
            .annotate(day=TruncDate("reviewed_at", tzinfo=self.user.tz))
            .values_list("day", flat=True)
            .distinct()
        )
        current, _longest = streaks(set(days), self.today)
        return current
