"""Statistics, aggregated in the database: four queries whatever the length of the history.

Days are the learner's local days (TruncDate in the user's time zone), like the daily limits.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import formats
from django.utils.translation import ngettext

from accounts.models import User
from cards.day import LearnerDay, streaks
from cards.models import Card, Deck, ReviewLog, State

HEATMAP_WEEKS = 53
FORECAST_DAYS = 30
RETENTION_DAYS = 30
TIME_DAYS = 30
CELL = 12  # heatmap cell pitch in SVG units
BAR = 10  # bar chart pitch
CHART_HEIGHT = 80


@dataclass
class Stats:
    today: date
    heatmap: list = field(default_factory=list)  # cells: x, y, level, title
    months: list = field(default_factory=list)  # labels: x, text
    # The heatmap's figures for a phone, which shows no tooltip: newest month first.
    month_totals: list = field(default_factory=list)  # month (its 1st), reviews, days
    forecast: list = field(default_factory=list)  # bars: x, y, height, title, day, value
    time_spent: list = field(default_factory=list)
    reviews_last_year: int = 0
    retention: float | None = None
    retention_reviews: int = 0
    states: dict = field(default_factory=dict)
    current_streak: int = 0
    longest_streak: int = 0
    minutes_last_30_days: int = 0
    due_next_30_days: int = 0
    heatmap_width: int = HEATMAP_WEEKS * CELL
    bars_width: int = FORECAST_DAYS * BAR
    chart_height: int = CHART_HEIGHT

    # The bars' figures for a phone: the days that have one.
    @property
    def forecast_figures(self) -> list[dict]:
        return [bar for bar in self.forecast if bar["value"]]

    @property
    def time_figures(self) -> list[dict]:
        return [bar for bar in self.time_spent if bar["value"]]


def learner_stats(user: User, *, deck: Deck | None = None, now: datetime | None = None) -> Stats:
    day = LearnerDay(user, now)
    now, tz, today = day.now, user.tz, day.today
    logs = ReviewLog.objects.filter(user=user)
    cards = Card.objects.for_user(user)
    if deck is not None:
        logs, cards = logs.filter(card__deck=deck), cards.filter(deck=deck)
    per_day = {
        row["day"]: (row["count"], row["ms"] or 0)
        for row in logs.annotate(day=TruncDate("reviewed_at", tzinfo=tz))
        .values("day")
        .annotate(count=Count("id"), ms=Sum("duration_ms"))
        .order_by("day")
    }
    stats = Stats(today=today)
    _heatmap(stats, per_day)
    _time_spent(stats, per_day)
    stats.current_streak, stats.longest_streak = streaks(set(per_day), today)
    _forecast(stats, cards, tz)
    _retention(stats, logs, now)
    stats.states = cards.aggregate(
        new=Count("id", filter=Q(suspended=False, last_review__isnull=True)),
        learning=Count(
            "id",
            filter=Q(suspended=False, last_review__isnull=False) & ~Q(state=State.REVIEW),
        ),
        review=Count(
            "id", filter=Q(suspended=False, last_review__isnull=False, state=State.REVIEW)
        ),
        suspended=Count("id", filter=Q(suspended=True)),
    )
    return stats


def _heatmap(stats: Stats, per_day: dict) -> None:
    # Columns are weeks (Monday first), the last one holding today.
    start = stats.today - timedelta(days=stats.today.weekday() + 7 * (HEATMAP_WEEKS - 1))
    counts = [per_day.get(start + timedelta(days=i), (0, 0))[0] for i in range(7 * HEATMAP_WEEKS)]
    top = max(counts, default=0) or 1
    month = None
    totals: dict[date, dict] = {}
    for index, count in enumerate(counts):
        day = start + timedelta(days=index)
        if day > stats.today:
            break
        week, weekday = divmod(index, 7)
        if day > stats.today - timedelta(days=365):
            stats.reviews_last_year += count
        if count:
            total = totals.setdefault(day.replace(day=1), {"reviews": 0, "days": 0})
            total["reviews"] += count
            total["days"] += 1
        level = 0 if not count else min(4, 1 + (4 * count - 1) // top)
        stats.heatmap.append(
            {"x": week * CELL, "y": weekday * CELL, "level": level, "title": _title(day, count)}
        )
        if weekday == 0 and day.month != month:
            month = day.month
            if week < HEATMAP_WEEKS - 2:
                stats.months.append({"x": week * CELL, "text": formats.date_format(day, "M")})
    stats.month_totals = [
        {"month": month, **totals[month]} for month in sorted(totals, reverse=True)
    ]


def _title(day: date, count: int) -> str:
    label = ngettext("%(count)d review", "%(count)d reviews", count) % {"count": count}
    return f"{formats.date_format(day, 'DATE_FORMAT')}: {label}"


def _bars(values: list[tuple[date, int, str]]) -> list[dict]:
    top = max((value for _day, value, _title in values), default=0) or 1
    bars = []
    for index, (day, value, title) in enumerate(values):
        height = round(CHART_HEIGHT * value / top)
        bars.append(
            {
                "x": index * BAR,
                "y": CHART_HEIGHT - height,
                "height": height,
                "title": title,
                "day": day,
                "value": value,
            }
        )
    return bars


def _time_spent(stats: Stats, per_day: dict) -> None:
    values = []
    for offset in range(TIME_DAYS - 1, -1, -1):
        day = stats.today - timedelta(days=offset)
        minutes = round(per_day.get(day, (0, 0))[1] / 60000)
        stats.minutes_last_30_days += minutes
        label = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        values.append((day, minutes, f"{formats.date_format(day, 'DATE_FORMAT')}: {label}"))
    stats.time_spent = _bars(values)


def _forecast(stats: Stats, cards: QuerySet[Card], tz: tzinfo) -> None:
    end = datetime.combine(stats.today + timedelta(days=FORECAST_DAYS), time.min, tzinfo=tz)
    due = {
        row["day"]: row["count"]
        for row in cards.filter(suspended=False, last_review__isnull=False, due__lt=end)
        .annotate(day=TruncDate("due", tzinfo=tz))
        .values("day")
        .annotate(count=Count("id"))
        .order_by("day")
    }
    overdue = sum(count for day, count in due.items() if day < stats.today)
    values = []
    for offset in range(FORECAST_DAYS):
        day = stats.today + timedelta(days=offset)
        count = due.get(day, 0) + (overdue if offset == 0 else 0)
        stats.due_next_30_days += count
        label = ngettext("%(count)d card due", "%(count)d cards due", count) % {"count": count}
        values.append((day, count, f"{formats.date_format(day, 'DATE_FORMAT')}: {label}"))
    stats.forecast = _bars(values)


def _retention(stats: Stats, logs: QuerySet[ReviewLog], now: datetime) -> None:
    """True retention: the share of passed reviews (Hard or better) of cards in review."""
    counts = logs.filter(
        reviewed_at__gte=now - timedelta(days=RETENTION_DAYS), state_before=State.REVIEW
    ).aggregate(total=Count("id"), passed=Count("id", filter=Q(rating__gte=2)))
    stats.retention_reviews = counts["total"]
    if counts["total"]:
        stats.retention = counts["passed"] / counts["total"]
