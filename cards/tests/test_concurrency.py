"""Double submission: the same grade sent at once from many threads is recorded once.

Real concurrency: each thread has its own database connection and all of them wait at a
barrier, so the grades reach the database together. The conditional UPDATE in Card.review lets
exactly one through, whether the grades come through the model or through the grade URL. No
retries: PostgreSQL makes the others wait for the row lock, SQLite for the write lock (the test
database is a file, and transactions take the lock when they begin: see conftest.py and
phraseweaver.environment.database_config), so a thread that meets a lock must never fail.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from cards.models import Card, Deck, ReviewLog, StaleReview
from cards.scheduling import Rating
from conftest import auth_headers, htmx

THREADS = 10

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def card(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    return Card.objects.create(deck=deck, front="hola", back="hello")


def run_together(action, threads=THREADS) -> list[str]:
    """Run `action` in `threads` threads released at once; their results, in no order."""
    barrier = threading.Barrier(threads)
    results = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(action())
        except Exception as error:  # noqa: BLE001 - the test asserts on what each thread saw
            results.append(repr(error))
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


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
