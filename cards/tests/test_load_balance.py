import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards import load, scheduling
from cards.models import Card, Deck
from cards.scheduling import Rating
from cards.tests.simulated_learner import simulate_days
from conftest import htmx, make_card, make_cards

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


def learners_days(learner, now, first, last):
    days = [(now + timedelta(days=k)).date() for k in range(first, last + 1)]
    return load.LearnerLoad(learner, now).on(days, Card(owner=learner)._counted_cards)


def test_the_load_counts_only_the_learners_unsuspended_cards_seen_before(deck, alice, bob):
    in_range = T0 + timedelta(days=30)
    make_cards(deck, 3, due=in_range, last_review=T0)
    make_cards(deck, 4, due=in_range, last_review=T0, suspended=True)
    make_cards(deck, 5, due=in_range)  # new cards
    make_cards(Deck.objects.create(owner=bob, name="Bob's"), 6, due=in_range, last_review=T0)

    counts = learners_days(alice, T0, 29, 31)

    assert counts == {(T0 + timedelta(days=d)).date(): 3 if d == 30 else 0 for d in (29, 30, 31)}


def test_a_learners_days_are_counted_once_then_read_from_the_cache(deck, alice, fuzzing):
    first, second = review_card(deck, alice), review_card(deck, alice)
    with CaptureQueriesContext(connection) as queries:
        first.review(Rating.GOOD, learner=alice, now=T0)
    assert sum("GROUP BY" in q["sql"] for q in queries.captured_queries) == 1
    # The second grade's range is the same days: no query more than without load balance.
    with CaptureQueriesContext(connection) as queries:
        second.review(Rating.GOOD, learner=alice, now=T0 + timedelta(seconds=5))
    assert not any("GROUP BY" in q["sql"] for q in queries.captured_queries)


def test_a_grade_moves_its_card_between_the_cached_days(deck, alice, fuzzing):
    card = review_card(deck, alice)
    later = make_card(deck=deck, due=T0 + timedelta(days=25), last_review=T0 - timedelta(days=5))
    Card.objects.filter(pk=later.pk).update(state=2, step=None, stability=30.0, difficulty=5.0)
    counted_from = learners_days(alice, T0, 1, 365)
    card.review(Rating.GOOD, learner=alice, now=T0)
    later = Card.objects.select_related("deck").get(pk=later.pk)
    later.review(Rating.EASY, learner=alice, now=T0 + timedelta(hours=1))

    cached = learners_days(alice, T0, 1, 365)
    load.due_counts_forget(alice, T0)

    assert cached == learners_days(alice, T0, 1, 365)
    assert sum(cached.values()) == sum(counted_from.values()) + 1  # the first card came in


def test_a_grade_costs_one_query_more_with_load_balance_on_its_learners_first_day(
    deck, alice, settings
):
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
    now = timezone.now()
    first, card = review_card(deck, alice, now=now), review_card(deck, alice, now=now)
    make_cards(deck, 3, due=now - timedelta(days=1), last_review=now - timedelta(days=9))
    # The review loop's 8 (cards/tests/test_review.py), and on the learner's first grade of
    # the day that load balance places, its GROUP BY of the learner's days; then the cache.
    for graded, budget, counted in ((first, 9, 1), (card, 8, 0)):
        url = f"/review/cards/{graded.pk}/grade/"
        with django_assert_max_num_queries(budget) as queries:
            as_alice.post(url, {"rating": Rating.GOOD, "version": graded.version}, **htmx())
        assert sum('AS "day"' in q["sql"] for q in queries.captured_queries) == counted
        assert Card.objects.get(pk=graded.pk).last_review is not None


def test_the_load_is_read_off_the_study_queue_index(deck, alice):
    review_card(deck, alice)
    with CaptureQueriesContext(connection) as queries:
        learners_days(alice, T0, 0, 5)
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


def seen_cards(deck, count, *, now):
    """`count` review cards due in 20 days, one phrase each."""
    cards = make_cards(deck, count, due=now + timedelta(days=20), last_review=now)
    Card.objects.filter(pk__in=[c.pk for c in cards]).update(state=2, step=None, stability=20.0)
    return cards


@pytest.mark.parametrize(
    "change",
    [
        lambda client, card, deck: client.post(f"/cards/{card.pk}/suspend/", **htmx()),
        lambda client, card, deck: client.post(f"/cards/{card.pk}/reset/", **htmx()),
        lambda client, card, deck: client.post(f"/phrases/{card.phrase_id}/delete/", **htmx()),
        lambda client, card, deck: client.post(f"/decks/{deck.pk}/delete/", **htmx()),
    ],
    ids=["suspend", "reset", "delete the phrase", "delete the deck"],
)
def test_cards_moved_outside_a_grade_are_counted_again(as_alice, alice, deck, change):
    now = timezone.now()
    cards = seen_cards(deck, 3, now=now)
    before = learners_days(alice, now, 1, 40)

    response = change(as_alice, cards[0], deck)

    assert response.status_code == 200
    assert sum(learners_days(alice, now, 1, 40).values()) < sum(before.values())


def test_an_undone_grade_is_counted_again(as_alice, alice, deck, fuzzing):
    now = timezone.now()
    card = review_card(deck, alice, now=now)
    screen = as_alice.post(
        f"/review/cards/{card.pk}/grade/",
        {"rating": Rating.GOOD, "version": card.version},
        **htmx(),
    ).content.decode()
    graded = sum(learners_days(alice, now, 1, 365).values())
    review = re.search(r'name="review" value="(\d+)"', screen).group(1)

    as_alice.post("/review/undo/", {"review": review}, **htmx())

    assert sum(learners_days(alice, now, 1, 365).values()) == graded - 1


def test_an_import_has_the_learners_days_counted_again(as_alice, alice, deck):
    now = timezone.now()
    learners_days(alice, now, 1, 40)
    # Cards with a schedule, as an Anki package with "keep scheduling" brings.
    seen_cards(deck, 2, now=now)
    content = SimpleUploadedFile("words.txt", b"uno\tone\n")

    as_alice.post(f"/decks/{deck.pk}/import/", {"file": content}, follow=True, **htmx())

    assert deck.cards.count() == 3
    assert sum(learners_days(alice, now, 1, 40).values()) == 2
