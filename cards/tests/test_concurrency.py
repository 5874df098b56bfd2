"""Double submission and races: the same grade sent at once from many threads is recorded
once, and an undo racing a grade of the same card leaves a history that adds up.

Real concurrency: each thread has its own database connection and all of them wait at a
barrier, so the grades reach the database together. The conditional UPDATE in Card.review lets
exactly one through, whether the grades come through the model or through the grade URL. No
retries: PostgreSQL makes the others wait for the row lock, SQLite for the write lock (the test
database is a file, and transactions take the lock when they begin: see conftest.py and
phraseweaver.environment.database_config), so a thread that meets a lock must never fail.
"""

from datetime import timedelta

import fsrs
import pytest
from django.test import Client
from django.utils import timezone

from cards import scheduling
from cards.models import Card, Deck, ReviewLog, StaleReview
from cards.scheduling import Rating
from cards.tests.threads import race
from conftest import auth_headers, htmx, make_card

THREADS = 10

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def card(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    return make_card(deck=deck, front="hola", back="hello")


def run_together(action, threads=THREADS) -> list[str]:
    """Run `action` in `threads` threads released at once; their results, in no order."""
    return race(*[action] * threads)


def test_the_same_grade_from_ten_threads_is_recorded_once(card):
    def grade():
        try:
            Card.objects.get(pk=card.pk).review(
                Rating.GOOD, learner=card.owner, version=card.version
            )
        except StaleReview:
            return "stale"
        return "graded"

    results = run_together(grade)

    assert sorted(results) == ["graded"] + ["stale"] * (THREADS - 1)
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).version == card.version + 1


def test_the_same_grade_posted_from_ten_threads_is_recorded_once(card, alice):
    def post_grade():
        client = Client(headers=auth_headers(alice), **htmx())
        form = {"rating": Rating.GOOD, "version": card.version, "duration_ms": 2500}
        # A lock the request could not wait for fails it: a 503 for the learner.
        return client.post(f"/review/cards/{card.pk}/grade/", form).status_code

    results = run_together(post_grade)

    # A stale grade is not an error for the learner: every request shows the next screen.
    assert results == [200] * THREADS
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).version == card.version + 1


ROUNDS = 30


def replayed(card: Card, initial: dict, learner) -> dict:
    """The card as its remaining review logs make it: each log's rating applied, in order, from
    the card's initial state, through cards.scheduling exactly as Card.review applies it. Each
    log's before-state must be the state the replay had reached."""
    state = Card(pk=card.pk, owner=learner, **initial)
    for log in ReviewLog.objects.filter(card=card).order_by("reviewed_at", "id"):
        before = {name: getattr(log, f"{name}_before") for name in ReviewLog.SNAPSHOT_FIELDS}
        assert before == state.snapshot(), f"log {log.pk} does not follow the one before it"
        fcard, _log = scheduling.scheduler_for(learner).review_card(
            scheduling.to_fsrs(state),
            fsrs.Rating(log.rating),
            review_datetime=scheduling.utc(log.reviewed_at),
            review_duration=log.duration_ms,
        )
        for name, value in scheduling.fsrs_fields(fcard).items():
            setattr(state, name, value)
    return state.snapshot()


def undo_racing_grade(card: Card, review: ReviewLog, learner, at) -> list[str]:
    """Undo `review` and grade the card again, at once, both on the version the learner saw."""
    shown = card.version

    def undo():
        try:
            ReviewLog.objects.get(pk=review.pk).undo(learner=learner)
        except ValueError:
            return "undo refused"
        return "undone"

    def grade():
        try:
            Card.objects.get(pk=card.pk).review(
                Rating.AGAIN, learner=learner, now=at, version=shown
            )
        except StaleReview:
            return "grade stale"
        return "graded"

    return race(undo, grade)


def test_an_undo_racing_a_grade_leaves_the_card_as_its_remaining_reviews_make_it(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    start = timezone.now()
    outcomes = set()
    for round_ in range(ROUNDS):
        card = make_card(deck=deck, front=f"hola {round_}", back="hello")
        card.refresh_from_db()
        initial = card.snapshot()
        first = card.review(Rating.GOOD, learner=alice, now=start + timedelta(minutes=1))
        shown = card.version

        results = undo_racing_grade(card, first, alice, start + timedelta(minutes=20))

        # One of the two went first and the other saw it: never both, never neither.
        assert sorted(results) in (["grade stale", "undone"], ["graded", "undo refused"])
        outcomes.add(tuple(sorted(results)))
        card.refresh_from_db()
        assert card.snapshot() == replayed(card, initial, alice), f"round {round_}: {results}"
        assert card.version == shown + 1
    print(f"outcomes over {ROUNDS} rounds: {sorted(outcomes)}")
