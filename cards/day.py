"""The learner's day: what is due now, what today's limits still allow, what they hold back,
and when the next card comes.

Every screen and message that speaks of "today" asks a LearnerDay: home, the deck screens, the
review, the bot's /stats and in-chat review, reminders and statistics. So the same thing has
the same number everywhere (bot/tests/test_same_numbers.py puts one learner in front of each).

Days are the learner's local days (midnight in `user.time_zone`). "New" is a card never
reviewed; "due" is a card seen before whose time has come. The daily limits count today's
review logs: a review of a new card uses up the new-card limit, any other the review limit.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, cast

from django.db.models import Count, Min, Q, QuerySet, Window
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from cards.models import IS_NEW, Card, Deck, ReviewLog

if TYPE_CHECKING:  # django-stubs-ext is a development requirement only
    from django_stubs_ext import WithAnnotations


class DeckCounts(TypedDict):
    """What decks() annotates each deck with."""

    card_count: int
    due_count: int
    new_count: int


class DeckDay(DeckCounts):
    """What a deck from decks_today() or deck_today() carries besides its fields: the counts,
    and what today's limits let the learner study in it (set by _allow())."""

    due_today: int
    new_today: int
    studyable: bool


# Still Deck instances (templates and views read their fields as well as these numbers);
# django-stubs types the extra attributes of annotated model instances this way.
CountedDeck: TypeAlias = "WithAnnotations[Deck, DeckCounts]"
DeckToday: TypeAlias = "WithAnnotations[Deck, DeckDay]"


def local_day_start(user: User, now: datetime) -> datetime:
    """Midnight of the user's current day, as an aware datetime."""
    local_now = timezone.localtime(now, user.tz)
    return datetime.combine(local_now.date(), time.min, tzinfo=user.tz)


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


class LearnerDay:
    """One learner's day at one moment. Today's counts cost one query, made on first use."""

    def __init__(self, user: User, now: datetime | None = None):
        self.user = user
        self.now = now or timezone.now()
        self.day_start = local_day_start(user, self.now)
        self.next_day_start = self.day_start + timedelta(days=1)
        self.today = self.day_start.date()
        self._done: tuple[int, int] | None = None

    # --- what has been done today, and what the limits still allow -------------------------

    def count_done(self, *, since: datetime | None = None, **extra: Any) -> dict[str, Any]:
        """Count today's reviews of new and of seen cards, in one query together with `extra`
        aggregates over the learner's logs since `since` (a review session that began before
        midnight reaches into yesterday)."""
        start = self.day_start if since is None else min(since, self.day_start)
        today = Q(reviewed_at__gte=self.day_start)
        counts = ReviewLog.objects.filter(user=self.user, reviewed_at__gte=start).aggregate(
            new_done=Count("id", filter=today & Q(last_review_before__isnull=True)),
            reviews_done=Count("id", filter=today & Q(last_review_before__isnull=False)),
            **extra,
        )
        self._done = (counts["new_done"], counts["reviews_done"])
        return counts

    def _done_today(self) -> tuple[int, int]:
        """Today's reviews of new and of seen cards: counted on first use, then remembered."""
        if self._done is None:
            counts = self.count_done()
            return counts["new_done"], counts["reviews_done"]
        return self._done

    @property
    def new_done(self) -> int:
        return self._done_today()[0]

    @property
    def reviews_done(self) -> int:
        return self._done_today()[1]

    @property
    def reviewed(self) -> int:
        return self.new_done + self.reviews_done

    @property
    def new_left(self) -> int:
        return max(self.user.new_cards_per_day - self.new_done, 0)

    @property
    def reviews_left(self) -> int:
        return max(self.user.reviews_per_day - self.reviews_done, 0)

    def allowed(self, *, due: int, new: int) -> tuple[int, int]:
        """Of `due` and `new` cards waiting, how many today's limits let the learner study."""
        return min(due, self.reviews_left), min(new, self.new_left)

    # --- what is waiting ------------------------------------------------------------------

    def decks(self) -> QuerySet[CountedDeck]:
        """The learner's decks, each with its card, due and new counts (one query)."""
        cards_due = Q(cards__last_review__isnull=False, cards__due__lte=self.now)
        # As a plain QuerySet, whose annotate() django-stubs checks against DeckCounts; it
        # cannot match one on DeckQuerySet (typeddjango/django-stubs#1190).
        decks: QuerySet[Deck] = Deck.objects.for_user(self.user)
        return decks.annotate(
            card_count=Count("cards"),
            due_count=Count("cards", filter=Q(cards__suspended=False) & cards_due),
            new_count=Count(
                "cards", filter=Q(cards__suspended=False, cards__last_review__isnull=True)
            ),
        )

    def decks_today(self) -> list[DeckToday]:
        """The decks with `due_today` and `new_today`: what studying each of them shows now."""
        return [self._allow(deck) for deck in self.decks()]

    def deck_today(self, deck_id: int) -> DeckToday:
        """One of the learner's decks (404 for anyone else's), as decks_today() has it."""
        return self._allow(get_object_or_404(self.decks(), pk=deck_id))

    def _allow(self, deck: CountedDeck) -> DeckToday:
        today = cast(DeckToday, deck)  # the same object, which gains today's numbers here
        today.due_today, today.new_today = self.allowed(due=deck.due_count, new=deck.new_count)
        today.studyable = bool(today.due_today or today.new_today)
        return today

    def glance(self, decks: list[DeckToday]) -> Glance:
        """Today over all decks from decks_today(), with the streak (one more query)."""
        due, new = self.allowed(
            due=sum(deck.due_count for deck in decks), new=sum(deck.new_count for deck in decks)
        )
        return Glance(due=due, new=new, reviewed=self.reviewed, streak=self.streak())

    def next_in_queue(self, *, deck: Deck | None = None) -> tuple[Card | None, int, int]:
        """The first card of the queue, with how many due and new cards the limits let the
        learner study now (one query): over all decks, what glance() says."""
        queue = self.queue(deck=deck).annotate(
            new_waiting=Window(Count("id", filter=Q(last_review__isnull=True))),
            seen_waiting=Window(Count("id", filter=Q(last_review__isnull=False))),
        )
        card = queue.first()
        if card is None:
            return None, 0, 0
        due, new = self.allowed(due=card.seen_waiting, new=card.new_waiting)
        return card, due, new

    def queue(self, *, deck: Deck | None = None) -> QuerySet[Card]:
        """The cards to study now, in order: due cards first (oldest first), then new cards.

        One query, read off the card_study_queue index. Respects suspension and what today's
        limits still allow.
        """
        wanted = Q(pk__in=[])
        if self.reviews_left:
            wanted |= Q(last_review__isnull=False, due__lte=self.now)
        if self.new_left:
            wanted |= Q(last_review__isnull=True)
        return (
            self._cards(deck)
            .filter(wanted)
            .select_related("deck", "owner")
            .order_by(IS_NEW, "due", "id")
        )

    def next_card_at(self, *, deck: Deck | None = None) -> tuple[datetime | None, bool]:
        """When the next card can be studied, and whether today's limits hold cards back.

        For when the queue is empty: any new or due card left is held back by a limit until
        tomorrow; otherwise the next card is the earliest one to fall due.
        """
        found = self._cards(deck).aggregate(
            held=Count("id", filter=Q(last_review__isnull=True) | Q(due__lte=self.now)),
            next_seen=Min("due", filter=Q(last_review__isnull=False, due__gt=self.now)),
        )
        times = [self.next_day_start] if found["held"] else []
        if found["next_seen"] is not None:
            next_seen = found["next_seen"]
            times.append(next_seen if self.reviews_left else max(next_seen, self.next_day_start))
        return min(times, default=None), bool(found["held"])

    def _cards(self, deck: Deck | None = None) -> QuerySet[Card]:
        cards = Card.objects.for_user(self.user).active()
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
