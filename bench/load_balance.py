"""Load balance and easy days: a simulated learner's next 30 days, with and without (not a test).

    python bench/load_balance.py [--new-per-day 8] [--warm-up 40] [--days 30] [--seed 14]
    DATABASE_URL=postgres://... python bench/load_balance.py

A learner adds new cards every morning and reviews what is due, graded through Card.review
exactly as the app grades (cards/tests/simulated_learner.py), with fuzzing on: first with
fsrs's own fuzz (LOAD_BALANCE off), then with load balance, then with load balance and
Saturday and Sunday as easy days. After the warm-up, the cards due on each of the next days are
printed, with the peak-to-mean ratio, and the easy days' load beside the other days'. Also the
SQL statements of one grade, each way. Everything is rolled back at the end.
"""

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phraseweaver.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from cards.models import Card, Deck, Phrase, bulk_add_phrases  # noqa: E402
from cards.tests.simulated_learner import simulate_days  # noqa: E402

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
WEEKEND = (5, 6)


class Rollback(Exception):
    pass


def run(args: argparse.Namespace, *, balance: bool, easy_days: tuple[int, ...] = ()) -> list[int]:
    learner = User.objects.create(
        username=f"bench-balance-{balance}-{len(easy_days)}", easy_days=list(easy_days)
    )
    deck = Deck.objects.create(owner=learner, name="bench load balance")
    with override_settings(FSRS_ENABLE_FUZZING=True, LOAD_BALANCE=balance):
        workload = simulate_days(
            learner,
            deck,
            days=args.warm_up + args.days,
            new_days=args.warm_up + args.days,
            new_per_day=args.new_per_day,
            seed=args.seed,
            start=START,
        )
    return workload[args.warm_up :]


def grade_queries(*, balance: bool) -> int:
    """SQL statements of Card.review for a review card whose Good gives it about 20 days."""
    learner = User.objects.filter(username__startswith="bench-balance-").first()
    assert learner is not None
    deck = Deck.objects.filter(owner=learner).first()
    phrase = Phrase(deck=deck, owner=learner, front=f"grade {balance}", back="b")
    [card] = bulk_add_phrases([phrase], ["recognition"])
    now = START + timedelta(days=60)
    Card.objects.filter(pk=card.pk).update(
        state=2, step=None, stability=8.0, difficulty=5.0, due=now, last_review=now - timedelta(8)
    )
    cards = Card.objects.select_related("deck", "phrase")
    card = cards.get(pk=card.pk)
    reset_queries()  # DEBUG's log keeps the last 9,000 statements: make room
    with (
        override_settings(FSRS_ENABLE_FUZZING=True, LOAD_BALANCE=balance),
        CaptureQueriesContext(connection) as queries,
    ):
        card.review(3, learner=learner, now=now)
    return len(queries)


def describe(name: str, loads: list[int], first_day: int) -> None:
    mean = sum(loads) / len(loads)
    print(f"{name:<14} peak {max(loads):>3}  mean {mean:5.1f}  peak/mean {max(loads) / mean:.2f}")
    weekday = [(START + timedelta(days=first_day + i)).weekday() for i in range(len(loads))]
    easy = [n for n, day in zip(loads, weekday, strict=True) if day in WEEKEND]
    ordinary = [n for n, day in zip(loads, weekday, strict=True) if day not in WEEKEND]
    easy_mean, ordinary_mean = sum(easy) / len(easy), sum(ordinary) / len(ordinary)
    print(
        f"{'':<14} Sat+Sun mean {easy_mean:5.1f}, other days {ordinary_mean:5.1f}"
        f" (ratio {easy_mean / ordinary_mean:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-per-day", type=int, default=8)
    parser.add_argument("--warm-up", type=int, default=40)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    print(
        f"{connection.vendor}: {args.new_per_day} new cards a day, reviews graded through "
        f"Card.review; the {args.days} days after day {args.warm_up}, seed {args.seed}"
    )
    try:
        with transaction.atomic():
            results = {
                "fsrs's fuzz": run(args, balance=False),
                "balanced": run(args, balance=True),
                "easy Sat+Sun": run(args, balance=True, easy_days=WEEKEND),
            }
            queries = {balance: grade_queries(balance=balance) for balance in (False, True)}
            raise Rollback
    except Rollback:
        pass
    print()
    print("day         " + "  ".join(f"{name:>12}" for name in results))
    for day in range(args.days):
        date = START + timedelta(days=args.warm_up + day)
        counts = "  ".join(f"{loads[day]:>12}" for loads in results.values())
        print(f"{date:%a %d %b}  {counts}")
    print()
    for name, loads in results.items():
        describe(name, loads, args.warm_up)
    print()
    print(f"Statements per grade: {queries[False]} without load balance, {queries[True]} with.")


if __name__ == "__main__":
    main()
