"""Statistics, aggregated in the database: four queries whatever the length of the history.

Days are the learner's local days (TruncDate in the user's time zone), like the daily limits.
The memory figures (retrievability, stability, difficulty) are one aggregate over the cards:
FSRS-6's forgetting curve is computed in SQL with the learner's decay (Django gives SQLite the
POWER function PostgreSQL has), so no card is read into Python.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Floor, Greatest, Power, TruncDate
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.models import User
from cards.day import LearnerDay, streaks
from cards.models import Card, Deck, ReviewLog, State
from cards.scheduling import DEFAULT_PARAMETERS

HEATMAP_WEEKS = 53
FORECAST_DAYS = 30
TIME_DAYS = 30
CELL = 12  # heatmap cell pitch in SVG units
BAR = 10  # bar chart pitch
CHART_HEIGHT = 80
# Anki's line between young and mature cards: an interval of 21 days or more before the review.
MATURE = timedelta(days=21)
# The periods of the true retention table: (label, first local day counted as days before
# today, last as days before today).
PERIODS = (
    (pgettext_lazy("retention period", "Today"), 0, 0),
    (pgettext_lazy("retention period", "Yesterday"), 1, 1),
    (pgettext_lazy("retention period", "Last 7 days"), 6, 0),
    (pgettext_lazy("retention period", "Last 30 days"), 29, 0),
    (pgettext_lazy("retention period", "Last 365 days"), 364, 0),
)
# Upper edges (days) of the stability bins; the last bin has no upper edge.
STABILITY_EDGES = (1, 3, 7, 14, 30, 90, 180, 365, 730)
DIFFICULTY_BINS = 10  # FSRS difficulty runs from 1 to 10, shown as 0-100 %
DAY_SECONDS = 86400
# What a review counts for in true retention: nothing (older than the table's year, a learning
# or relearning step, or no interval before it), or a young or mature card passed or failed.
OTHER, YOUNG_PASSED, YOUNG_FAILED, MATURE_PASSED, MATURE_FAILED = range(5)
KINDS = {
    YOUNG_PASSED: ("young", "passed"),
    YOUNG_FAILED: ("young", "failed"),
    MATURE_PASSED: ("mature", "passed"),
    MATURE_FAILED: ("mature", "failed"),
}
MATURE_DAYS = MATURE.days - 1 / DAY_SECONDS


class DaysBetween(Func):
    """The days (a fraction) from one datetime to another, on both databases (SQLite's own
    julianday, not one of the Python functions Django gives SQLite for date arithmetic)."""

    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"(EXTRACT(EPOCH FROM (%(expressions)s)) / {DAY_SECONDS})",
            arg_joiner=" - ",
        )


def review_kind(since: datetime) -> Case:
    """The kind of a review (OTHER, YOUNG_PASSED…) for true retention since `since`; the
    cheap conditions first, so the date arithmetic is paid by learned cards' reviews only."""
    mature: GreaterThanOrEqual = GreaterThanOrEqual(
        # Less a second: julianday's floating point may make 21 days 20.99999999.
        DaysBetween(F("last_review_before"), F("due_before")),
        MATURE_DAYS,
    )
    failed = Q(rating=1)
    return Case(
        When(
            Q(reviewed_at__lt=since)
            | ~Q(state_before=State.REVIEW)
            | Q(last_review_before__isnull=True),
            then=OTHER,
        ),
        When(mature, then=Case(When(failed, then=MATURE_FAILED), default=MATURE_PASSED)),
        When(failed, then=YOUNG_FAILED),
        default=YOUNG_PASSED,
        output_field=IntegerField(),
    )


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
    # Of the last 30 days (young and mature together): the headline figure.
    retention: float | None = None
    retention_reviews: int = 0
    true_retention: list = field(default_factory=list)  # rows: label, young, mature, total
    # The reviewed cards' mean retrievability now, and their sum ("estimated total knowledge").
    retrievability: float | None = None
    knowledge: float = 0.0
    remembered_cards: int = 0
    stability: list = field(default_factory=list)  # bars: x, y, height, title, label, value
    difficulty: list = field(default_factory=list)
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

    @property
    def distribution_width(self) -> int:
        return max(len(self.stability), len(self.difficulty)) * 3 * BAR

    @property
    def distribution_height(self) -> int:
        return CHART_HEIGHT + 16  # the bars, then their axis labels

    @property
    def distribution_label_y(self) -> int:
        return CHART_HEIGHT + 12


def learner_stats(user: User, *, deck: Deck | None = None, now: datetime | None = None) -> Stats:
    day = LearnerDay(user, now)
    now, tz, today = day.now, user.tz, day.today
    logs = ReviewLog.objects.filter(user=user)
    cards = Card.objects.for_user(user)
    if deck is not None:
        logs, cards = logs.filter(card__deck=deck), cards.filter(deck=deck)
    # One pass over the history: per local day and kind of review, at most five rows a day
    # studied. The heatmap, the time and the streaks add up a day's rows; true retention reads
    # the kinds of the last 365 days.
    year = datetime.combine(today - timedelta(days=PERIODS[-1][1]), time.min, tzinfo=tz)
    per_day: dict[date, tuple[int, int]] = {}
    kinds: list[tuple[date, int, int]] = []  # day, kind, reviews
    rows = (
        logs.annotate(day=TruncDate("reviewed_at", tzinfo=tz), kind=review_kind(year))
        .values("day", "kind")
        .annotate(count=Count("id"), ms=Sum("duration_ms"))
        .order_by()
    )
    for row in rows:
        count, ms = per_day.get(row["day"], (0, 0))
        per_day[row["day"]] = (count + row["count"], ms + (row["ms"] or 0))
        if row["kind"] != OTHER:
            kinds.append((row["day"], row["kind"], row["count"]))
    stats = Stats(today=today)
    _heatmap(stats, per_day)
    _time_spent(stats, per_day)
    stats.current_streak, stats.longest_streak = streaks(set(per_day), today)
    _forecast(stats, cards, tz)
    _true_retention(stats, kinds)
    _memory(stats, cards, now, decay=_decay(user))
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


def _true_retention(stats: Stats, kinds: list[tuple[date, int, int]]) -> None:
    """Anki's true retention: of the reviews of cards already learned (in review before the
    grade, so not learning or relearning steps), the passed (Hard or better) and the failed,
    for young cards (an interval under 21 days before the review) and mature ones, over each
    period of local days."""
    for label, first, last in PERIODS:
        counts = {(age, result): 0 for age, result in KINDS.values()}
        since, until = stats.today - timedelta(days=first), stats.today - timedelta(days=last)
        for day, kind, reviews in kinds:
            if since <= day <= until:
                counts[KINDS[kind]] += reviews
        young = _share(counts["young", "passed"], counts["young", "failed"])
        mature = _share(counts["mature", "passed"], counts["mature", "failed"])
        total = _share(young["passed"] + mature["passed"], young["failed"] + mature["failed"])
        stats.true_retention.append(
            {
                "label": label,
                "young": young,
                "mature": mature,
                "total": total,
                "cells": [young, mature, total],
            }
        )
    last_30 = stats.true_retention[3]["total"]
    stats.retention_reviews = last_30["reviews"]
    stats.retention = last_30["share"]


def _share(passed: int, failed: int) -> dict[str, Any]:
    reviews = passed + failed
    return {
        "passed": passed,
        "failed": failed,
        "reviews": reviews,
        "share": passed / reviews if reviews else None,
    }


def _decay(user: User) -> float:
    """FSRS-6's decay, the learner's own (w[20]) when they have personal parameters."""
    parameters = user.fsrs_parameters or DEFAULT_PARAMETERS
    return float(parameters[20])


def retrievability_expression(now: datetime, decay: float) -> Combinable:
    """FSRS-6's forgetting curve, R = (1 + factor * t / S) ** -decay, with t the whole days
    since the last review (as fsrs counts them) and factor such that R(S) = 0.9."""
    factor = 0.9 ** (-1 / decay) - 1
    elapsed = Greatest(Floor(DaysBetween(F("last_review"), Value(now))), Value(0.0))
    curve = Value(1.0) + Value(factor) * elapsed / F("stability")
    return Power(curve, Value(-decay), output_field=FloatField())


def _memory(stats: Stats, cards: QuerySet[Card], now: datetime, *, decay: float) -> None:
    """Of the cards being studied (reviewed, not suspended): their retrievability now, its sum,
    and how their stability and difficulty are spread. One query."""
    memory = cards.filter(suspended=False, last_review__isnull=False, stability__gt=0)
    edges = (0, *STABILITY_EDGES)
    bins: dict[str, Any] = {}
    for index, low in enumerate(edges):
        condition = Q(stability__gte=low)
        if index + 1 < len(edges):
            condition &= Q(stability__lt=edges[index + 1])
        bins[f"s{index}"] = Count("id", filter=condition)
    for index in range(DIFFICULTY_BINS):
        condition = Q(difficulty__gte=1 + 9 * index / DIFFICULTY_BINS)
        if index + 1 < DIFFICULTY_BINS:
            condition &= Q(difficulty__lt=1 + 9 * (index + 1) / DIFFICULTY_BINS)
        bins[f"d{index}"] = Count("id", filter=condition)
    retrievability = retrievability_expression(now, decay)
    found = memory.aggregate(
        cards=Count("id"), mean=Avg(retrievability), total=Sum(retrievability), **bins
    )
    stats.remembered_cards = found["cards"]
    stats.retrievability = found["mean"]
    stats.knowledge = found["total"] or 0.0
    stability = []
    for index, low in enumerate(edges):
        if index + 1 < len(edges):
            label = _("%(low)s–%(high)s days") % {"low": low, "high": edges[index + 1]}
        else:
            label = _("%(low)s days or more") % {"low": low}
        stability.append((label, str(low), found[f"s{index}"]))
    stats.stability = _distribution(stability)
    difficulty = []
    for index in range(DIFFICULTY_BINS):
        low, high = 100 * index // DIFFICULTY_BINS, 100 * (index + 1) // DIFFICULTY_BINS
        difficulty.append((f"{low}–{high}%", f"{low}%", found[f"d{index}"]))
    stats.difficulty = _distribution(difficulty)


def _distribution(values: list[tuple[str, str, int]]) -> list[dict]:
    """Bars of (label, short label under the bar, count)."""
    top = max((value for _label, _short, value in values), default=0) or 1
    bars = []
    for index, (label, short, value) in enumerate(values):
        height = round(CHART_HEIGHT * value / top)
        title = ngettext("%(label)s: %(count)d card", "%(label)s: %(count)d cards", value) % {
            "label": label,
            "count": value,
        }
        bars.append(
            {
                "x": index * 3 * BAR,
                "y": CHART_HEIGHT - height,
                "height": height,
                "title": title,
                "label": label,
                "short": short,
                "value": value,
            }
        )
    return bars
