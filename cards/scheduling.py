"""A thin adapter between our Card columns and the reference FSRS implementation."""

import random
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import fsrs
import fsrs_rs_python as rs
from django.conf import settings
from django.utils.translation import pgettext_lazy
from fsrs.scheduler import FUZZ_RANGES

if TYPE_CHECKING:  # only for the hints: cards.models imports this module
    from accounts.models import User
    from cards.models import Card

LEARNING_STEPS = (timedelta(minutes=1), timedelta(minutes=10))
RELEARNING_STEPS = (timedelta(minutes=10),)


class Rating:
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4
    ALL = (AGAIN, HARD, GOOD, EASY)


# The grade buttons' words, in the Mini App and in the bot's chat alike.
RATING_LABELS = {
    Rating.AGAIN: pgettext_lazy("grade", "Again"),
    Rating.HARD: pgettext_lazy("grade", "Hard"),
    Rating.GOOD: pgettext_lazy("grade", "Good"),
    Rating.EASY: pgettext_lazy("grade", "Easy"),
}


# FSRS-6's 21 default parameters, fsrs's own (a learner without personal ones is scheduled
# with these).
DEFAULT_PARAMETERS: tuple[float, ...] = fsrs.Scheduler().parameters


def scheduler(
    desired_retention: float,
    parameters: tuple[float, ...] = DEFAULT_PARAMETERS,
    *,
    fuzzing: bool | None = None,
) -> fsrs.Scheduler:
    # The setting is read on every call, not cached with the scheduler: a test that turns
    # fuzzing on must not get a scheduler cached while it was off.
    if fuzzing is None:
        fuzzing = settings.FSRS_ENABLE_FUZZING
    return _scheduler(desired_retention, parameters, fuzzing)


@lru_cache(maxsize=64)
def _scheduler(
    desired_retention: float, parameters: tuple[float, ...], fuzzing: bool
) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        parameters=parameters,
        desired_retention=desired_retention,
        learning_steps=LEARNING_STEPS,
        relearning_steps=RELEARNING_STEPS,
        enable_fuzzing=fuzzing,
    )


def scheduler_for(learner: "User", *, fuzzing: bool | None = None) -> fsrs.Scheduler:
    """The scheduler for one learner's cards: their desired retention and their personal FSRS
    parameters (cards.parameter_jobs fits them), else the defaults. Both are columns of the
    learner's row, which every caller has already read: no query."""
    parameters = tuple(learner.fsrs_parameters) or DEFAULT_PARAMETERS
    return scheduler(learner.desired_retention, parameters, fuzzing=fuzzing)


# The retention Anki assumes SM-2's intervals were made for when it turns them into FSRS
# memory states (its own default).
SM2_RETENTION = 0.9


@lru_cache(maxsize=16)
def _rs_model(parameters: tuple[float, ...]) -> rs.FSRS:
    return rs.FSRS(list(parameters))


def memory_state_from_sm2(learner: "User", *, ease: float, interval: float) -> tuple[float, float]:
    """(stability, difficulty) that FSRS, with the learner's parameters, estimates for a card
    Anki scheduled with SM-2 at this ease (2.5 is 250%) and interval (days)."""
    parameters = tuple(learner.fsrs_parameters) or DEFAULT_PARAMETERS
    state = _rs_model(parameters).memory_state_from_sm2(ease, interval, SM2_RETENTION)
    return state.stability, state.difficulty


def utc(moment: datetime) -> datetime:
    # fsrs insists on tzinfo being exactly datetime.UTC.
    return moment.astimezone(UTC)


def to_fsrs(card: "Card") -> fsrs.Card:
    return fsrs.Card(
        # An explicit id: without one, fsrs.Card sleeps a millisecond to make a unique id.
        card_id=card.pk or 0,
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=utc(card.due),
        last_review=utc(card.last_review) if card.last_review else None,
    )


def fsrs_fields(fcard: fsrs.Card) -> dict[str, Any]:
    return {
        "state": int(fcard.state),
        "step": fcard.step,
        "stability": fcard.stability,
        "difficulty": fcard.difficulty,
        "due": fcard.due,
        "last_review": fcard.last_review,
    }


def format_interval(delta: timedelta) -> str:
    """A short, language-neutral label for a grade button: 1m, 10m, 3h, 2d, 5mo, 1.2y."""
    seconds = max(delta.total_seconds(), 0)
    if seconds < 3600:
        return f"{max(round(seconds / 60), 1)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{round(days / 30)}mo"
    return f"{days / 365:.1f}y"


# Load balance and easy days, after Anki 24.11's load balancer (rslib/src/scheduler/states/
# load_balancer.rs): a review card's new due day is drawn from fsrs's own fuzz range, each day
# weighted by how many cards are already due on it, instead of uniformly as fsrs draws it.
# Anki leaves intervals over 90 days alone: far out, the load matters little.
MAX_BALANCED_INTERVAL = 90
# An easy weekday's weight while another day of the range can take the card: not zero, so that
# a range of easy days only still draws one. Anki's "reduced" days take cards up to half the
# other days' load as it stands when a card is placed; but the reviews no fuzz can move
# (intervals under 3 days) arrive later, on easy days as on any, and then an easy day carried
# about 70 % of an ordinary one in the simulation (bench/load_balance.py). Closed to the cards
# that can go elsewhere, it carries under half.
EASY_DAY_CLOSED = 0.0001


def fuzz_range(interval_days: int, maximum_interval: int) -> tuple[int, int]:
    """The shortest and longest interval fsrs's fuzz gives an interval of `interval_days`
    (fuzz needs at least 3 days). fsrs.Scheduler._get_fuzzed_interval's bounds, and one day
    more: it rounds a uniform draw over [shortest, longest + 1), which reaches longest + 1."""
    delta = 1.0
    for fuzz in FUZZ_RANGES:
        delta += fuzz["factor"] * max(min(float(interval_days), fuzz["end"]) - fuzz["start"], 0.0)
    longest = min(round(interval_days + delta), maximum_interval)
    shortest = min(max(2, round(interval_days - delta)), longest)
    return shortest, min(longest + 1, maximum_interval)


def fuzzed_days(shortest: int, longest: int) -> int:
    """fsrs's own draw in the range, for intervals too long to balance."""
    return min(round(random.random() * (longest - shortest) + shortest), longest)


def balanced_days(shortest: int, loads: list[int], easy: list[bool]) -> int:
    """The interval, in days from `shortest`, drawn with Anki's weights: (1 / the day's load)²
    × (1 / the interval), or 1 for a day with nothing due, so lighter and nearer days are
    likelier; easy days all but closed while the range has another day."""
    closed = EASY_DAY_CLOSED if not all(easy) else 1.0
    weights = [
        (closed if is_easy else 1.0) / (load * load * (shortest + offset) if load else 1)
        for offset, (load, is_easy) in enumerate(zip(loads, easy, strict=True))
    ]
    return shortest + random.choices(range(len(loads)), weights)[0]
