import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards import scheduling
from cards.models import Card, Deck
from cards.scheduling import Rating
from cards.tests.simulated_learner import simulate_days
from conftest import make_card, make_cards

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def fuzzing(settings):
    settings.FSRS_ENABLE_FUZZING = True


def review_card(deck, learner, *, now=T0, stability=20.0):
    """A review card due now whose Good gives about `stability` days."""
    card = make_card(deck=deck, due=now, last_review=now - timedelta(days=20))
    Card.objects.filter(pk=card.pk).update(state=2, step=None, stability=stability, difficulty=5.0)
    return Card.objects.select_related("deck", "phrase").get(pk=card.pk)


@pytest.mark.parametrize("days", [3, 10, 50, 90])
def test_the_fuzz_range_is_the_one_fsrs_draws_from(days):
    fsrs_scheduler = scheduling.fsrs.Scheduler()
    random.seed(days)
    drawn = {
        fsrs_scheduler._get_fuzzed_interval(interval=timedelta(days=days)).days for _ in range(2000)
    }
    assert scheduling.fuzz_range(days, 36500) == (min(drawn), max(drawn))


def test_without_fuzzing_a_grade_is_exactly_fsrs(deck, alice):
    card = review_card(deck, alice)
    expected = scheduling.scheduler_for(alice, fuzzing=False).review_card(
        scheduling.to_fsrs(card), scheduling.fsrs.Rating.Good, review_datetime=T0
    )[0]
    card.review(Rating.GOOD, learner=alice, now=T0)
    assert Card.objects.get(pk=card.pk).due == expected.due


def test_a_due_date_moves_to_the_empty_day_in_the_fuzz_range(deck, alice, fuzzing):
    card = review_card(deck, alice)
    plain = scheduling.scheduler_for(alice, fuzzing=False).review_card(
        scheduling.to_fsrs(card), scheduling.fsrs.Rating.Good, review_datetime=T0
    )[0]
    days = (plain.due - T0).days
    shortest, longest = scheduling.fuzz_range(days, 36500)
    empty = longest - 1
    for offset in range(shortest, longest + 1):
        if offset != empty:
            make_cards(deck, 5, due=T0 + timedelta(days=offset), last_review=T0)
    random.seed(1)

    card.review(Rating.GOOD, learner=alice, now=T0)

    assert Card.objects.get(pk=card.pk).due == T0 + timedelta(days=empty)


def test_the_load_counts_only_the_learners_unsuspended_cards_seen_before(deck, alice, bob):
    card = review_card(deck, alice)
    in_range = T0 + timedelta(days=30)
    make_cards(deck, 3, due=in_range, last_review=T0)
    make_cards(deck, 4, due=in_range, last_review=T0, suspended=True)
    make_cards(deck, 5, due=in_range)  # new cards
    make_cards(Deck.objects.create(owner=bob, name="Bob's"), 6, due=in_range, last_review=T0)

    assert card._due_counts(alice, T0, 29, 31) == {in_range.date(): 3}


def test_a_grade_costs_one_query_more_with_load_balance(deck, alice, settings):
    counts = []
    for fuzz in (False, True):
        settings.FSRS_ENABLE_FUZZING = fuzz
        card = review_card(deck, alice)
        with CaptureQueriesContext(connection) as queries:
            card.review(Rating.GOOD, learner=alice, now=T0)
        counts.append(len(queries))
    assert counts[1] == counts[0] + 1
    assert "GROUP BY" in queries.captured_queries[0]["sql"]


def test_a_grade_in_the_review_screen_stays_within_its_query_budget(
    as_alice, deck, alice, fuzzing, django_assert_max_num_queries
):
    from conftest import htmx

    card = review_card(deck, alice)
    make_cards(deck, 3, due=T0 - timedelta(days=1), last_review=T0 - timedelta(days=9))
    url = f"/review/cards/{card.pk}/grade/"
    # The review loop's 8 (cards/tests/test_review.py), and the load balancer's GROUP BY.
    with django_assert_max_num_queries(9):
        as_alice.post(url, {"rating": Rating.GOOD, "version": card.version}, **htmx())
    assert Card.objects.get(pk=card.pk).last_review is not None


def test_the_load_is_read_off_the_study_queue_index(deck, alice):
    card = review_card(deck, alice)
    start = T0
    with CaptureQueriesContext(connection) as queries:
        card._due_counts(alice, start, 0, 5)
    sql = queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "card_study_queue" in plan


def test_an_easy_day_takes_a_card_only_when_the_whole_range_is_easy():
    random.seed(3)
    picks = {scheduling.balanced_days(10, [0, 1, 1], [True, False, False]) for _ in range(100)}
    assert picks == {11, 12}
    assert scheduling.balanced_days(10, [5, 0], [True, True]) == 11


def test_intervals_over_ninety_days_are_fuzzed_as_fsrs_does(deck, alice, fuzzing):
    card = review_card(deck, alice, stability=400.0)
    with CaptureQueriesContext(connection) as queries:
        card.review(Rating.GOOD, learner=alice, now=T0)
    assert not any("GROUP BY" in q["sql"] for q in queries.captured_queries)


def peak_to_mean(loads):
    return max(loads) / (sum(loads) / len(loads))


# A learner who adds 8 new cards every day and reviews what is due; the figures are the cards
# due on each of the 30 days after the first 30, graded through Card.review all along
# (bench/load_balance.py runs a bigger one).
WARM_UP, MEASURED = 30, 30


@pytest.fixture
def simulated(alice, settings):
    def run(*, balance: bool, easy_days=(), seed=14):
        settings.FSRS_ENABLE_FUZZING = True
        settings.LOAD_BALANCE = balance
        alice.easy_days = list(easy_days)
        alice.save()
        Card.objects.filter(owner=alice).delete()
        deck = Deck.objects.create(owner=alice, name=f"Simulated {balance} {easy_days}")
        workload = simulate_days(
            alice,
            deck,
            days=WARM_UP + MEASURED,
            new_days=WARM_UP + MEASURED,
            new_per_day=8,
            seed=seed,
            start=T0,
        )
        return workload[WARM_UP:]

    return run


def test_load_balance_flattens_the_next_thirty_days(simulated):
    plain = simulated(balance=False)
    balanced = simulated(balance=True)

    assert sum(balanced) == pytest.approx(sum(plain), rel=0.15)
    assert peak_to_mean(balanced) < peak_to_mean(plain)


def test_easy_weekdays_carry_at_most_half_an_ordinary_days_load(simulated):
    loads = simulated(balance=True, easy_days=(5, 6))  # Saturday and Sunday
    first = (T0 + timedelta(days=WARM_UP)).date()
    weekday = [(first + timedelta(days=i)).weekday() for i in range(len(loads))]
    easy = [n for n, day in zip(loads, weekday, strict=True) if day >= 5]
    ordinary = [n for n, day in zip(loads, weekday, strict=True) if day < 5]
    assert sum(easy) / len(easy) <= 0.5 * sum(ordinary) / len(ordinary)


def test_turning_fuzzing_on_is_heeded_by_a_scheduler_made_while_it_was_off(alice, settings):
    settings.FSRS_ENABLE_FUZZING = False
    assert not scheduling.scheduler_for(alice).enable_fuzzing
    settings.FSRS_ENABLE_FUZZING = True
    assert scheduling.scheduler_for(alice).enable_fuzzing
