"""Deck export speed and memory (not a timed test).

    python bench/export_speed.py [--phrases 5000] [--reviews 4]

On the benchmark database (bench/common.py; DATABASE_URL to use another): a deck of
`--phrases` phrases learned both ways (10,000 cards by default), each card with `--reviews`
reviews (40,000), written as an Anki package with its schedule and history, as Anki's text
format and as the spreadsheet CSV, each into a temporary file as the view does. Beside them,
in the same run, the baseline: reading the same phrases, cards and reviews from the database
and nothing else. The process's peak RSS is sampled every 10 ms.

Prints each figure next to its target. Everything it creates belongs to a bench user that is
deleted at the end.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATABASE_URL, setup_django  # noqa: E402
from import_speed import MB, PeakRSS  # noqa: E402

TARGET_SECONDS = 10
TARGET_RSS_MB = 250


def seed(phrases: int, reviews: int):
    from accounts.models import User
    from cards.models import Card, Deck, Direction, Phrase, ReviewLog, State

    User.objects.filter(telegram_id=9_000_000_013).delete()
    owner = User.objects.create(telegram_id=9_000_000_013, first_name="Export bench")
    deck = Deck.objects.create(owner=owner, name="Bench export 🇪🇸")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = Phrase.objects.bulk_create(
        Phrase(deck=deck, owner=owner, front=f"palabra {n}", back=f"word {n}", tags="bench")
        for n in range(phrases)
    )
    cards = Card.objects.bulk_create(
        Card(
            phrase=phrase,
            owner=owner,
            deck=deck,
            direction=direction,
            state=State.REVIEW,
            step=None,
            stability=20.0 + n % 50,
            difficulty=3.0 + n % 7,
            last_review=start + timedelta(days=30),
            due=start + timedelta(days=60 + n % 30),
            suspended=n % 97 == 0,
        )
        for n, phrase in enumerate(made)
        for direction in (Direction.RECOGNITION, Direction.PRODUCTION)
    )
    logs = (
        ReviewLog(
            card=card,
            user=owner,
            rating=3,
            reviewed_at=start + timedelta(days=10 * r, seconds=n),
            duration_ms=4000,
            state_before=State.LEARNING if r == 0 else State.REVIEW,
            step_before=0 if r == 0 else None,
            stability_before=None if r == 0 else 5.0 * r,
            difficulty_before=None if r == 0 else 5.0,
            due_before=start + timedelta(days=10 * r),
            last_review_before=None if r == 0 else start + timedelta(days=10 * (r - 1)),
        )
        for n, card in enumerate(cards)
        for r in range(reviews)
    )
    ReviewLog.objects.bulk_create(logs, batch_size=5000)
    return owner, deck


def baseline(deck) -> None:
    """Only reading the rows an export reads."""
    from cards.models import ReviewLog

    for _row in deck.phrases.values_list("pk", "front", "back", "tags").iterator(2000):
        pass
    for _row in deck.cards.values_list("pk", "phrase_id", "due", "stability").iterator(2000):
        pass
    reviews = ReviewLog.objects.filter(card__deck=deck).values_list("card_id", "reviewed_at")
    for _row in reviews.iterator(5000):
        pass


def measure(label: str, run) -> float:
    with PeakRSS() as rss, tempfile.TemporaryFile() as out:
        began = time.perf_counter()
        run(out)
        seconds = time.perf_counter() - began
        size = out.tell()
    print(
        f"{label:<28} {seconds:6.2f} s  {size / MB:6.1f} MB written  "
        f"RSS {rss.start / MB:.0f} → peak {rss.peak / MB:.0f} MB"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phrases", type=int, default=5000)
    parser.add_argument("--reviews", type=int, default=4)
    args = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    from cards.exporting import write_deck_anki_text, write_deck_apkg, write_deck_csv

    owner, deck = seed(args.phrases, args.reviews)
    try:
        cards = deck.cards.count()
        print(f"{cards} cards, {cards * args.reviews} reviews")
        base = measure("baseline (read the rows)", lambda out: baseline(deck))
        apkg = measure("Anki package (.apkg)", lambda out: write_deck_apkg(deck, out))
        measure("Anki text (.txt)", lambda out: write_deck_anki_text(deck, out))
        measure("spreadsheet CSV", lambda out: write_deck_csv(deck, out))
        print(f"package: {apkg:.2f} s (target < {TARGET_SECONDS} s), {apkg / base:.1f}x baseline")
    finally:
        owner.delete()


if __name__ == "__main__":
    main()
