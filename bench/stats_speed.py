"""Statistics page speed with 100,000 review logs on the configured database (not a timed test).

    DATABASE_URL=postgres://... python bench/stats_speed.py

Creates two learners with 2,000 cards each (with their FSRS memory), one with 1,000 reviews and
one with 100,000 spread over three years, renders /stats/ for each through the test client
(the real middleware and template) and prints the median of ROUNDS renders beside the targets:
under 300 ms with 100,000 reviews, and within 3x of the 1,000 reviews' page in the same run.
Everything is rolled back at the end.
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phraseweaver.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import initdata  # noqa: E402
from accounts.models import User  # noqa: E402
from cards.models import Card, Deck, Phrase, ReviewLog, State  # noqa: E402

HISTORIES = (1_000, 100_000)
CARDS = 2_000
ROUNDS = 7
TARGET_MS = 300
TARGET_RATIO = 3


class Rollback(Exception):
    pass


def populate(owner, reviews: int) -> None:
    now = timezone.now()
    deck = Deck.objects.create(owner=owner, name="bench stats")
    phrases = Phrase.objects.bulk_create(
        [Phrase(owner=owner, deck=deck, front=f"w{i}", back="b") for i in range(CARDS)],
        batch_size=1000,
    )
    cards = Card.objects.bulk_create(
        [
            Card(owner=owner, deck=deck, phrase=phrase, state=State.REVIEW,
                 last_review=now - timedelta(days=i % 30), due=now + timedelta(days=i % 40),
                 stability=0.5 + i % 400, difficulty=1 + (i % 90) / 10)
            for i, phrase in enumerate(phrases)
        ],
        batch_size=1000,
    )  # fmt: skip
    ReviewLog.objects.bulk_create(
        (
            ReviewLog(card=cards[i % CARDS], user=owner, rating=1 + i % 4,
                      reviewed_at=now - timedelta(minutes=16 * i), duration_ms=5000,
                      state_before=State.REVIEW, due_before=now,
                      last_review_before=now - timedelta(days=i % 50))
            for i in range(reviews)
        ),
        batch_size=2000,
    )  # fmt: skip


def page_ms(owner) -> tuple[float, int]:
    """The median time of ROUNDS renders of /stats/ for `owner`, and its query count."""
    from django.conf import settings

    signed = initdata.sign_user(
        {"id": owner.telegram_id, "first_name": "Bench"}, settings.TELEGRAM_BOT_TOKEN
    )
    client = Client(
        HTTP_AUTHORIZATION=f"tma {signed}", HTTP_HX_REQUEST="true", HTTP_HOST="localhost"
    )
    client.get("/stats/")  # warm: the URL resolver, the template, the translations
    timings = []
    for _round in range(ROUNDS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/stats/")
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings) * 1000, len(queries)


def main() -> None:
    print(f"database: {connection.vendor}, {CARDS:,} cards per learner, median of {ROUNDS}")
    try:
        with transaction.atomic():
            figures = {}
            for index, reviews in enumerate(HISTORIES):
                owner = User.objects.create(
                    username=f"bench-stats-{reviews}",
                    telegram_id=9_999_999_002 + index,
                    time_zone="Europe/Moscow",
                )
                populate(owner, reviews)
                figures[reviews] = page_ms(owner)
            small, large = (figures[reviews][0] for reviews in HISTORIES)
            for reviews, (ms, queries) in figures.items():
                print(f"/stats/ with {reviews:>7,} reviews: {ms:7.1f} ms, {queries} queries")
            verdict = "met" if large < TARGET_MS else "NOT met"
            print(f"100,000 reviews: {large:.1f} ms (target < {TARGET_MS} ms): {verdict}")
            ratio = large / small
            verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
            print(f"100,000 / 1,000 reviews: {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict}")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
