"""Today at a glance: what the home and deck screens show about the day's study."""

from dataclasses import dataclass

from django.db.models.functions import TruncDate

from cards.models import DailyProgress, ReviewLog
from cards.stats import streaks


def streak_days(user, progress: DailyProgress) -> int:
    """Consecutive local days with at least one review, ending today or yesterday (one query)."""
    days = (
        ReviewLog.objects.filter(user=user, reviewed_at__lt=progress.next_day_start)
        .annotate(day=TruncDate("reviewed_at", tzinfo=user.tz))
        .values_list("day", flat=True)
        .distinct()
    )
    current, _longest = streaks(set(days), progress.day_start.date())
    return current


def add_allowance(decks, progress: DailyProgress) -> list:
    """The decks (from decks_with_counts), each with `due_today` and `new_today`: its due and new
    cards capped by today's remaining review and new allowance, i.e. what studying would show."""
    decks = list(decks)
    for deck in decks:
        deck.due_today = min(deck.due_count, progress.reviews_left)
        deck.new_today = min(deck.new_count, progress.new_left)
        deck.studyable = bool(deck.due_today or deck.new_today)
    return decks


@dataclass(frozen=True)
class Glance:
    due: int
    new: int
    reviewed: int
    streak: int

    @property
    def studyable(self) -> bool:
        return bool(self.due or self.new)

    @classmethod
    def of(cls, user, decks: list, progress: DailyProgress) -> "Glance":
        """Totals over decks from add_allowance(), plus the streak (one query)."""
        return cls(
            due=min(sum(deck.due_count for deck in decks), progress.reviews_left),
            new=min(sum(deck.new_count for deck in decks), progress.new_left),
            reviewed=progress.new_done + progress.reviews_done,
            streak=streak_days(user, progress),
        )
