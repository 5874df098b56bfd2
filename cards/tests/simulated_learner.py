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
    from conftest import make_cards

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


def simulate_days(
    learner: User,
    deck: Deck,
    *,
    days: int,
    new_days: int,
    new_per_day: int,
    seed: int,
    start: datetime = START,
) -> list[int]:
    """A learner who studies every morning for `days` days through Card.review, as the app
    grades: every card due, remembered nine times in ten (else Again, and Good ten minutes
    later), and on the first `new_days` days `new_per_day` new cards (Good, Good). How many
    cards were due each morning."""
    from cards.models import Card, Phrase, bulk_add_phrases

    rnd = random.Random(seed)
    random.seed(seed)  # fsrs's fuzz and the load balancer draw from the module's generator
    learner.refresh_from_db()
    workload = []
    for day in range(days):
        now = start + timedelta(days=day)
        due = Card.objects.filter(
            owner=learner, suspended=False, last_review__isnull=False, due__lte=now
        )
        due = due.select_related("deck", "phrase")
        cards = list(due.order_by("due", "id"))
        workload.append(len(cards))
        for card in cards:
            if rnd.random() < 0.9:
                card.review(3, learner=learner, now=now)
            else:
                card.review(1, learner=learner, now=now)
                if not card.suspended:
                    card.review(3, learner=learner, now=now + timedelta(minutes=10))
        if day >= new_days:
            continue
        phrases = [
            Phrase(deck=deck, owner=learner, front=f"day {day} phrase {i}", back="b")
            for i in range(new_per_day)
        ]
        for card in bulk_add_phrases(phrases, ["recognition"]):
            card.deck = deck
            card.review(3, learner=learner, now=now)
            card.review(3, learner=learner, now=now + timedelta(minutes=10))
    return workload
