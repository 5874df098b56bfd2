"""Personal FSRS parameters: fitted from a learner's review logs with fsrs-rs-python.

Training items, as fsrs-rs wants them: one FSRSItem per review after a card's first, holding
the card's history up to and including that review, each review's `delta_t` the number of the
learner's local days since the card's previous review (0: the same day).

Which parameters win: the items are ordered by the time of their last review and the latest
20 % held out. The candidate parameters are fitted on the earlier 80 %; the candidate and the
learner's current parameters then predict the held-out reviews (`FSRS.evaluate`: log loss and
RMSE over bins). The candidate is adopted only when its log loss is lower and its RMSE not
higher. A hold-out by time, not `evaluate_with_time_series_splits`: that function scores the
fitting procedure (it refits on each split), not a given set of parameters, so it cannot say
whether the current parameters predict worse than new ones; and holding out the latest reviews
asks what matters, how well each set predicts the reviews still to come. The adopted
parameters are the ones evaluated (fitted on 80 %), so the figures shown are theirs.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import fsrs_rs_python as rs
from django.db.models.functions import TruncDate

from accounts.models import User
from cards.models import ReviewLog
from cards.scheduling import DEFAULT_PARAMETERS, scheduler

# "Enough history": reviews on a different day from the card's previous one (Anki asks as
# many; below its own, smaller, minimum compute_parameters silently returns the defaults).
MIN_REVIEWS = 400
HELD_OUT = 0.2
# Items per chunk read from the database: the logs are iterated, never loaded at once.
CHUNK = 2000


@dataclass(frozen=True)
class Item:
    reviewed_at: datetime
    # The last review's delta_t: 0 for a review on the same day as the previous one.
    delta_t: int
    item: rs.FSRSItem


@dataclass(frozen=True)
class Fit:
    """What a fit found: `parameters` empty when the history was not enough."""

    reviews: int
    parameters: list[float]
    log_loss: float | None = None
    rmse: float | None = None
    current_log_loss: float | None = None
    current_rmse: float | None = None

    @property
    def better(self) -> bool:
        """The candidate predicts the held-out reviews better than the current parameters."""
        if not self.parameters or self.log_loss is None or self.current_log_loss is None:
            return False
        assert self.rmse is not None and self.current_rmse is not None
        return self.log_loss < self.current_log_loss and self.rmse <= self.current_rmse


def items_from_logs(logs: Iterator[tuple[int, datetime, int]], tz: tzinfo) -> Iterator[Item]:
    """The training items of (card id, reviewed at, rating) rows ordered by card, then time."""
    card_id: int | None = None
    history: list[rs.FSRSReview] = []
    previous: date | None = None
    for log_card, reviewed_at, rating in logs:
        day = reviewed_at.astimezone(tz).date()
        if log_card != card_id:
            card_id, history, previous = log_card, [], None
        delta_t = 0 if previous is None else (day - previous).days
        history.append(rs.FSRSReview(rating, delta_t))
        previous = day
        item = rs.FSRSItem(history)
        # fsrs-rs refuses items without a review on another day (nothing long-term to learn).
        if len(history) > 1 and item.long_term_review_cnt() > 0:
            yield Item(reviewed_at, delta_t, item)


def learner_items(learner: User) -> list[Item]:
    logs = (
        ReviewLog.objects.filter(user=learner)
        .order_by("card_id", "reviewed_at", "id")
        .values_list("card_id", "reviewed_at", "rating")
        .iterator(chunk_size=CHUNK)
    )
    return list(items_from_logs(logs, learner.tz))


def reviews_on_different_days(learner: User) -> int:
    """The learner's reviews on another local day than the card's previous review, in two
    queries: for each card, its distinct review days less its first."""
    logs = ReviewLog.objects.filter(user=learner)
    days = logs.values("card_id", day=TruncDate("reviewed_at", tzinfo=learner.tz)).distinct()
    return days.count() - logs.values("card_id").distinct().count()


def current_parameters(learner: User) -> list[float]:
    return list(learner.fsrs_parameters) or list(DEFAULT_PARAMETERS)


def fit(learner: User) -> Fit:
    """Fit the learner's parameters and score them and the current ones on held-out reviews."""
    return fit_items(learner_items(learner), current=current_parameters(learner))


def fit_items(items: list[Item], *, current: list[float]) -> Fit:
    reviews = sum(1 for item in items if item.delta_t > 0)
    if reviews < MIN_REVIEWS:
        return Fit(reviews=reviews, parameters=[])
    items.sort(key=lambda item: item.reviewed_at)
    cut = round(len(items) * (1 - HELD_OUT))
    train = [item.item for item in items[:cut]]
    # fsrs-rs evaluates a prediction of a review on another day only.
    held_out = [item.item for item in items[cut:] if item.delta_t > 0]
    found = rs.FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(train)
    if _same(found, DEFAULT_PARAMETERS) or not held_out:
        return Fit(reviews=reviews, parameters=[])
    # fsrs checks the bounds of its parameters: a set it refuses must fail here, not a grade.
    scheduler(0.9, tuple(found))
    candidate = rs.FSRS(found).evaluate(held_out)
    now = rs.FSRS(current).evaluate(held_out)
    return Fit(
        reviews=reviews,
        parameters=found,
        log_loss=candidate.log_loss,
        rmse=candidate.rmse_bins,
        current_log_loss=now.log_loss,
        current_rmse=now.rmse_bins,
    )


def _same(found: list[float], defaults: tuple[float, ...]) -> bool:
    """compute_parameters returns the defaults (in float32) when it had too little to fit."""
    return all(abs(a - b) < 1e-4 for a, b in zip(found, defaults, strict=True))
