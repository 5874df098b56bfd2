"""A thin adapter between our Card columns and the reference FSRS implementation."""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import fsrs
import fsrs_rs_python as rs
from django.conf import settings
from django.utils.translation import pgettext_lazy

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


@lru_cache(maxsize=64)
def scheduler(
    desired_retention: float,
    parameters: tuple[float, ...] = DEFAULT_PARAMETERS,
    *,
    fuzzing: bool | None = None,
) -> fsrs.Scheduler:
    if fuzzing is None:
        fuzzing = settings.FSRS_ENABLE_FUZZING
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
