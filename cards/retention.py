"""The retention helper: what a desired retention would cost and give, simulated with fsrs-rs.

For 0.80, 0.85, 0.90, 0.95 and the learner's own value, `fsrs_rs_python.simulate` learns the
learner's collection from scratch over a year (it takes no existing cards) with their FSRS
parameters, and reports the reviews and the seconds of each day and the cards remembered at
the end. The simulator is told the learner's collection: the cards they study (not
suspended), their decks' daily limits (under the daily ceiling), and the seconds a review
takes, from the durations the review screen records (a mean for each state and grade seen
often enough; FSRS's typical times otherwise). `optimal_retention`, which does take the
existing cards, suggests the retention that costs the least time per card remembered. All of
it runs as a background task (a RetentionSimulation row): a large collection takes seconds.
"""

import logging
import math
from datetime import datetime, timedelta

import fsrs_rs_python as rs
from django.db.models import Avg, Count, Sum
from django.db.models.functions import Least
from django.utils import timezone
from django_tasks import task

from accounts.models import User
from cards.models import Card, Deck, RetentionSimulation, ReviewLog, State
from cards.parameters import current_parameters
from phraseweaver.tasks import claim_job, start_job

logger = logging.getLogger(__name__)

RETENTIONS = (0.80, 0.85, 0.90, 0.95)
# The settings' range: a suggestion outside it could not be saved.
LOWEST, HIGHEST = 0.70, 0.97
DAYS = 365
SEED = 2024  # one seed for every retention: their differences are the retention's alone
# A learner's mean time for a state and grade replaces FSRS's typical one from this many.
MIN_TIMED = 10
LONGEST_MS = 10 * 60 * 1000  # the review screen records at most 10 minutes
# A year's simulation of 100,000 cards takes seconds: an hour means the worker died.
LEASE = timedelta(hours=1)
# fsrs-rs's rows of state_rating_costs.
COST_ROWS = {State.LEARNING: 0, State.REVIEW: 1, State.RELEARNING: 2}
STOPPED, FAILED = "stopped", "failed"  # RetentionSimulation.error, worded by the template
CHUNK = 2000


def simulator_config(learner: User) -> tuple[rs.SimulatorConfig, dict[str, int]]:
    """The simulator's configuration from the learner's collection, and what it was told
    (cards, new_per_day, reviews_per_day, timed_reviews). Three queries."""
    cards = Card.objects.for_user(learner).filter(suspended=False).count()
    limits = Deck.objects.for_user(learner).aggregate(
        new=Sum("new_cards_per_day"), reviews=Sum("reviews_per_day")
    )
    new, reviews = limits["new"] or 0, limits["reviews"] or 0
    if learner.daily_ceiling is not None:
        new, reviews = min(new, learner.daily_ceiling), min(reviews, learner.daily_ceiling)
    config = rs.default_simulator_config()
    costs, timed = review_costs(learner, config.state_rating_costs)
    config.deck_size = cards
    config.learn_span = DAYS
    config.learn_limit = new
    config.review_limit = reviews
    config.state_rating_costs = costs
    # No cap on time: the daily limits are what bound the learner's day.
    config.max_cost_perday = 24 * 3600
    told = {"cards": cards, "new_per_day": new, "reviews_per_day": reviews, "timed_reviews": timed}
    return config, told


def review_costs(learner: User, defaults: list[list[float]]) -> tuple[list[list[float]], int]:
    """Seconds per review for each state (learning, review, relearning) and grade: the
    learner's mean where they have MIN_TIMED timed reviews, else FSRS's; and how many of the
    learner's reviews were used. One query: at most twelve rows."""
    costs = [list(row) for row in defaults]
    used = 0
    rows = (
        ReviewLog.objects.filter(user=learner, duration_ms__isnull=False, duration_ms__gt=0)
        .values("state_before", "rating")
        .annotate(count=Count("id"), ms=Avg(Least("duration_ms", LONGEST_MS)))
        .order_by()
    )
    for row in rows:
        state_row = COST_ROWS.get(row["state_before"])
        if state_row is None or not 1 <= row["rating"] <= 4 or row["count"] < MIN_TIMED:
            continue
        costs[state_row][row["rating"] - 1] = row["ms"] / 1000
        used += row["count"]
    return costs, used


def existing_cards(learner: User, retention: float, now: datetime) -> list[rs.Card]:
    """The learner's reviewed cards as the simulator's cards (days counted from today)."""
    parameters = current_parameters(learner)
    rows = (
        Card.objects.for_user(learner)
        .filter(suspended=False, last_review__isnull=False, stability__gt=0)
        .values_list("pk", "stability", "difficulty", "last_review", "due")
        .iterator(chunk_size=CHUNK)
    )
    cards = []
    for pk, stability, difficulty, last_review, due in rows:
        assert stability is not None and last_review is not None  # filtered above
        card = rs.Card()
        card.id = pk
        card.stability = stability
        card.difficulty = difficulty or 5.0
        card.last_date = -math.floor((now - last_review).total_seconds() / 86400)
        card.due = max(0.0, math.ceil((due - now).total_seconds() / 86400))
        card.interval = card.due - card.last_date
        card.lapses = 0
        card.desired_retention = retention
        card.parameters = parameters
        cards.append(card)
    return cards


def simulate(parameters: list[float], retention: float, config: rs.SimulatorConfig) -> dict:
    """A year at one desired retention: reviews and minutes a day, cards remembered at its end."""
    result = rs.simulate(parameters, retention, config, SEED)
    return {
        "retention": retention,
        "reviews": sum(result.review_cnt_per_day) / DAYS,
        "minutes": sum(result.cost_per_day) / DAYS / 60,
        "knowledge": result.memorized_cnt_per_day[-1],
    }


# The chart: for each retention, a bar of reviews a day and one of cards remembered.
CHART_HEIGHT, GROUP, BAR = 100, 60, 20


def chart(results: list[dict], *, current: float) -> list[dict]:
    """The bars' geometry (SVG units), each group of bars with its figures; `current` marks
    the learner's desired retention."""
    top_reviews = max((row["reviews"] for row in results), default=0) or 1
    top_knowledge = max((row["knowledge"] for row in results), default=0) or 1
    groups = []
    for index, row in enumerate(results):
        reviews = round((CHART_HEIGHT - 20) * row["reviews"] / top_reviews)
        knowledge = round((CHART_HEIGHT - 20) * row["knowledge"] / top_knowledge)
        x = index * GROUP + 8
        groups.append(
            {
                **row,
                "percent": round(row["retention"] * 100),
                "current": math.isclose(row["retention"], round(current, 2)),
                "x": x,
                "label_x": x + BAR,
                "reviews_height": reviews,
                "reviews_y": CHART_HEIGHT - 16 - reviews,
                "knowledge_x": x + BAR + 2,
                "knowledge_height": knowledge,
                "knowledge_y": CHART_HEIGHT - 16 - knowledge,
            }
        )
    return groups


def chart_width(groups: list[dict]) -> int:
    return len(groups) * GROUP + 8


def retentions(learner: User) -> list[float]:
    return sorted({*RETENTIONS, round(learner.desired_retention, 2)})


def suggest(config: rs.SimulatorConfig, parameters: list[float], cards: list[rs.Card]) -> float:
    found = rs.optimal_retention(config, parameters, cards)
    return round(min(max(found, LOWEST), HIGHEST), 2)


def start_simulation(learner: User) -> RetentionSimulation:
    """The learner's running simulation, or a new one enqueued."""
    fail_abandoned(learner)
    return start_job(RetentionSimulation, simulation_task, owner=learner)


def latest_simulation(learner: User) -> RetentionSimulation | None:
    return RetentionSimulation.objects.filter(owner=learner).order_by("-created").first()


def fail_abandoned(learner: User | None = None, *, now: datetime | None = None) -> int:
    """Fail the running simulations whose worker died (one UPDATE)."""
    now = now or timezone.now()
    stale = RetentionSimulation.objects.filter(
        status=RetentionSimulation.Status.RUNNING, started__lt=now - LEASE
    )
    if learner is not None:
        stale = stale.filter(owner=learner)
    return stale.update(status=RetentionSimulation.Status.FAILED, error=STOPPED, finished=now)


@task()
def simulation_task(simulation_id: int) -> None:
    run_simulation(simulation_id)


def run_simulation(simulation_id: int) -> None:
    """Run one queued simulation: done with its figures, or failed."""
    fail_abandoned()
    if not claim_job(RetentionSimulation, simulation_id, started=timezone.now()):
        return  # already run, or failed before it started
    job = RetentionSimulation.objects.select_related("owner").get(pk=simulation_id)
    learner = job.owner
    try:
        config, told = simulator_config(learner)
        results, suggested = [], None
        if told["cards"]:
            parameters = current_parameters(learner)
            results = [simulate(parameters, value, config) for value in retentions(learner)]
            cards = existing_cards(learner, learner.desired_retention, timezone.now())
            suggested = suggest(config, parameters, cards)
    except Exception:
        logger.exception("Retention simulation %s failed", job.pk)
        RetentionSimulation.objects.filter(
            pk=job.pk, status=RetentionSimulation.Status.RUNNING
        ).update(status=RetentionSimulation.Status.FAILED, error=FAILED, finished=timezone.now())
        return
    RetentionSimulation.objects.filter(pk=job.pk, status=RetentionSimulation.Status.RUNNING).update(
        status=RetentionSimulation.Status.DONE,
        finished=timezone.now(),
        desired_retention=learner.desired_retention,
        personal_parameters=bool(learner.fsrs_parameters),
        results=results,
        suggested=suggested,
        **told,
    )
