"""How many of a learner's cards fall due on each coming day: the load that load balance spreads
(Card._balanced_due), read on every grade it places.

Between two grades the counts change only by what the learner does, so they are kept in the
cache (Redis in production) per learner and local day: the first grade that asks counts the
next three months (one query a learner's day), and every grade after that moves its card from
one day's count to another's. Writes that move cards in other ways (undo, reset, suspension,
deletion, imports) forget the learner's counts, which are counted again when next asked for;
the key names the learner's day and time zone, so a new day or another zone starts afresh.

The counts only weigh the draw of a due date inside fsrs's fuzz range, never a limit: one that
is off by a card (two grades of one learner at the same moment, a grade whose transaction then
failed, or processes that share no Redis) changes a weight for the rest of that day, no more.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from cards import scheduling

# The key names the day; two days covers a clock on either side of midnight.
TIMEOUT = 2 * 24 * 3600
# The days load balance may put a card on: up to fsrs's fuzz range of the longest interval
# it balances (longer ones are drawn as fsrs draws them).
WINDOW = timedelta(days=scheduling.fuzz_range(scheduling.MAX_BALANCED_INTERVAL, 36500)[1] + 1)


def local_date(learner: User, moment: datetime) -> date:
    return timezone.localtime(moment, learner.tz).date()


def _key(learner: User, now: datetime) -> str:
    return f"due-days:{learner.pk}:{learner.time_zone}:{local_date(learner, now).isoformat()}"


class LearnerLoad:
    """One learner's counts as one grade sees them: read from the cache once (one round trip),
    written back once with the grade's move."""

    def __init__(self, learner: User, now: datetime):
        self.learner = learner
        self.key = _key(learner, now)
        self.tomorrow = local_date(learner, now) + timedelta(days=1)
        self.counts: dict[date, int] | None = None  # not read yet

    def _read(self) -> dict[date, int]:
        if self.counts is None:
            # Kept as ordinals: a dict of ints pickles several times faster than one of dates.
            stored = cache.get(self.key) or {}
            self.counts = {date.fromordinal(day): count for day, count in stored.items()}
        return self.counts

    def _write(self) -> None:
        stored = {day.toordinal(): count for day, count in (self.counts or {}).items()}
        cache.set(self.key, stored, TIMEOUT)

    def on(self, days: list[date], seen: Callable[[], QuerySet]) -> dict[date, int]:
        """How many of `seen()` (the learner's unsuspended cards seen before) fall due on each
        of `days`. When the cache lacks a day, every day of the WINDOW is counted (one query
        over a range of the study queue's index) and kept."""
        counts = self._read()
        missing = [day for day in days if day not in counts]
        if missing:
            # Every day a grade can ask for, at once: one query a learner's day.
            first = min(*missing, self.tomorrow)
            last = max(*missing, self.tomorrow + WINDOW)
            counts |= _count(self.learner, seen(), first, last)
            self._write()
        return {day: counts[day] for day in days}

    def move(self, *, before: date | None, after: date | None) -> None:
        """The grade moved its card from the day `before` to the day `after` (None: a day it
        was not counted on, being new or suspended). Only days from tomorrow on are ever
        counted: a card that stays within today (learning steps) costs no round trip."""
        days = [day for day in (before, after) if day is not None and day >= self.tomorrow]
        if before == after or not days:
            return
        counts = self._read()
        changes = [(day, step) for day, step in ((before, -1), (after, 1)) if day in counts]
        if not changes:
            return
        for day, step in changes:
            counts[day] = max(counts[day] + step, 0)
        self._write()


def _count(learner: User, seen: QuerySet, first: date, last: date) -> dict[date, int]:
    """Every day from `first` to `last`, with the cards due on it (one GROUP BY over a range of
    the study queue's index)."""
    start = datetime.combine(first, time.min, tzinfo=learner.tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=learner.tz)
    rows = (
        seen.filter(due__gte=start, due__lt=end)
        .annotate(day=TruncDate("due", tzinfo=learner.tz))
        .values("day")
        .annotate(cards=Count("id"))
        .order_by()
    )
    found = {row["day"]: row["cards"] for row in rows}
    days = (first + timedelta(days=k) for k in range((last - first).days + 1))
    return {day: found.get(day, 0) for day in days}


def due_counts_forget(learner: User, now: datetime | None = None) -> None:
    """The learner's cards moved other than by a grade: count their days again."""
    cache.delete(_key(learner, now or timezone.now()))
