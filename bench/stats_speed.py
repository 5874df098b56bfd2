"""Statistics page speed with 100,000 review logs on the configured database (not a timed test).

    DATABASE_URL=postgres://... python bench/stats_speed.py

Creates a learner with 2,000 cards and 100,000 reviews spread over three years, then renders
/stats/ through the test client a few times and prints the timings and query count. Everything
is rolled back at the end.
"""

import os
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

REVIEWS = 100_000
CARDS = 2_000


class Rollback(Exception):
    pass


def populate(owner) -> None:
    now = timezone.now()
    deck = Deck.objects.create(owner=owner, name="bench stats")
    phrases = Phrase.objects.bulk_create(
        [Phrase(owner=owner, deck=deck, front=f"w{i}", back="b") for i in range(CARDS)],
        batch_size=1000,
    )
    cards = Card.objects.bulk_create(
        [
            Card(owner=owner, deck=deck, phrase=phrase, state=State.REVIEW,
                 last_review=now, due=now + timedelta(days=i % 40))
            for i, phrase in enumerate(phrases)
        ],
        batch_size=1000,
    )  # fmt: skip
    ReviewLog.objects.bulk_create(
        (
            ReviewLog(card=cards[i % CARDS], user=owner, rating=1 + i % 4,
                      reviewed_at=now - timedelta(minutes=16 * i), duration_ms=5000,
                      state_before=State.REVIEW, due_before=now)
            for i in range(REVIEWS)
        ),
        batch_size=2000,
    )  # fmt: skip


def main() -> None:
    from django.conf import settings

    print(f"database: {connection.vendor}")
    try:
        with transaction.atomic():
            owner = User.objects.create(
                username="bench-stats", telegram_id=9_999_999_002, time_zone="Europe/Moscow"
            )
            populate(owner)
            signed = initdata.sign_user(
                {"id": owner.telegram_id, "first_name": "Bench"}, settings.TELEGRAM_BOT_TOKEN
            )
            client = Client(
                HTTP_AUTHORIZATION=f"tma {signed}", HTTP_HX_REQUEST="true", HTTP_HOST="localhost"
            )
            for attempt in range(3):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get("/stats/")
                    elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.status_code
                print(f"/stats/ #{attempt + 1}: {elapsed * 1000:7.1f} ms, {len(queries)} queries")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
