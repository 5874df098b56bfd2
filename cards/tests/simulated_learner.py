"""A synthetic learner whose true FSRS parameters are known: their review logs, simulated.

Each card is scheduled as PhraseWeaver schedules a new learner's cards (fsrs with the default
parameters, fuzzing off); the learner comes back some minutes to hours after the due time and
remembers with the retrievability fsrs computes from the *true* parameters, so the history
holds what a fit can recover. Fixed seeds: the same history every run.
"""

import random
from datetime import UTC, datetime, timedelta

import fsrs

from accounts.models import User
from cards.models import Deck, ReviewLog
from conftest import make_cards

START = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
# A learner who forgets faster than FSRS's defaults assume, and one who remembers longer.
FORGETFUL = (
    0.05, 0.3, 0.8, 4.0, 6.8, 0.6, 2.0, 0.01, 1.2, 0.3, 1.1,
    2.2, 0.08, 0.35, 2.0, 0.3, 2.5, 0.5, 0.1, 0.1, 0.25,
)  # fmt: skip
RETENTIVE = (
    1.0, 3.0, 6.0, 20.0, 6.0, 0.9, 2.5, 0.005, 2.3, 0.1, 0.6,
    1.2, 0.05, 0.2, 1.4, 0.5, 2.2, 0.6, 0.1, 0.05, 0.2,
)  # fmt: skip


def simulated_history(
    true_parameters: tuple[float, ...], *, cards: int, days: int, seed: int
) -> list[tuple[int, datetime, int]]:
    """(card number, reviewed at, rating) of `cards` cards reviewed over `days` days."""
    rnd = random.Random(seed)
    truth = fsrs.Scheduler(parameters=true_parameters, enable_fuzzing=False)
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    end = START + timedelta(days=days)
    history = []
    for number in range(cards):
        memory = fsrs.Card(card_id=number + 1)
        scheduled = fsrs.Card(card_id=number + 1)
        moment = START + timedelta(days=rnd.randrange(days // 3), minutes=rnd.randrange(600))
        rating = rnd.choices([1, 2, 3, 4], [0.2, 0.1, 0.6, 0.1])[0]
        while moment < end:
            history.append((number, moment, rating))
            memory, _log = truth.review_card(memory, fsrs.Rating(rating), moment)
            scheduled, _log = scheduler.review_card(scheduled, fsrs.Rating(rating), moment)
            moment = scheduled.due + timedelta(minutes=rnd.randrange(20 * 60))
            recalled = rnd.random() < truth.get_card_retrievability(memory, moment)
            rating = rnd.choices([2, 3, 4], [0.1, 0.8, 0.1])[0] if recalled else 1
    return history


def give_history(
    learner: User, true_parameters: tuple[float, ...], *, cards: int, days: int, seed: int
) -> int:
    """Store a simulated history as the learner's review logs; how many there are."""
    deck = Deck.objects.create(owner=learner, name=f"Simulated {seed}")
    made = make_cards(deck, cards)
    logs = [
        ReviewLog(
            card=made[number],
            user=learner,
            rating=rating,
            reviewed_at=moment,
            state_before=2,
            due_before=moment,
        )
        for number, moment, rating in simulated_history(
            true_parameters, cards=cards, days=days, seed=seed
        )
    ]
    ReviewLog.objects.bulk_create(logs, batch_size=1000)
    return len(logs)
