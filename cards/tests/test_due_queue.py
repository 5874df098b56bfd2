import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection

from cards.day import LearnerDay
from cards.models import Deck
from cards.queries import get_card_for_user
from cards.scheduling import Rating
from conftest import make_card, make_cards

# 23:30 in Tokyo on 1 March is 14:30 UTC.
TOKYO_LATE = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Words")


def add_cards(deck, count, **fields):
    return [
        make_card(deck=deck, front=f"front {i}", back=f"back {i}", **fields) for i in range(count)
    ]


def test_the_queue_puts_due_reviews_before_new_cards(deck, alice):
    now = TOKYO_LATE
    new = add_cards(deck, 2, due=now - timedelta(days=30))
    seen = add_cards(deck, 2, due=now - timedelta(hours=1), last_review=now - timedelta(days=2))
    later = add_cards(deck, 1, due=now + timedelta(hours=1), last_review=now - timedelta(days=1))

    queue = list(LearnerDay(alice, now).queue())

    assert queue == [*seen, *new]
    assert later[0] not in queue


def test_the_queue_leaves_out_suspended_cards_and_other_learners_cards(deck, alice, bob):
    add_cards(deck, 1, suspended=True)
    bobs = Deck.objects.create(owner=bob, name="Bob's")
    add_cards(bobs, 2)
    mine = add_cards(deck, 1)
    assert list(LearnerDay(alice).queue()) == mine


def test_the_queue_can_be_limited_to_one_deck(deck, alice):
    other = Deck.objects.create(owner=alice, name="Other")
    add_cards(other, 2)
    mine = add_cards(deck, 1)
    assert list(LearnerDay(alice).queue(deck=deck)) == mine


def test_new_cards_stop_when_the_daily_new_limit_is_reached(deck, alice):
    deck.new_cards_per_day = 2
    deck.save()
    cards = add_cards(deck, 3, due=TOKYO_LATE - timedelta(days=1))
    cards[0].review(Rating.GOOD, learner=alice, now=TOKYO_LATE - timedelta(minutes=5))
    cards[1].review(Rating.GOOD, learner=alice, now=TOKYO_LATE - timedelta(minutes=4))

    progress = LearnerDay(alice, TOKYO_LATE)

    assert progress.new_done == 2
    assert progress.new_left == 0
    assert all(not c.is_new for c in progress.queue())


def test_reviews_stop_when_the_daily_review_limit_is_reached(deck, alice):
    deck.reviews_per_day = 1
    deck.save()
    now = TOKYO_LATE
    due = add_cards(deck, 2, due=now - timedelta(hours=2), last_review=now - timedelta(days=3))
    due[0].review(Rating.GOOD, learner=alice, now=now - timedelta(minutes=1))
    new = add_cards(deck, 1, due=now - timedelta(days=1))

    progress = LearnerDay(alice, now)

    assert progress.reviews_left == 0
    assert list(progress.queue()) == new


def test_the_daily_limits_start_again_at_the_learners_local_midnight(deck, alice):
    alice.time_zone = "Asia/Tokyo"
    deck.new_cards_per_day = 1
    deck.save()
    cards = add_cards(deck, 2, due=TOKYO_LATE - timedelta(days=1))
    cards[0].review(Rating.GOOD, learner=alice, now=TOKYO_LATE)  # 23:30 in Tokyo

    before_midnight = LearnerDay(alice, TOKYO_LATE + timedelta(minutes=20))  # 23:50
    after_midnight = LearnerDay(alice, TOKYO_LATE + timedelta(minutes=40))  # 00:10 next day

    assert before_midnight.new_left == 0
    assert after_midnight.new_left == 1
    assert after_midnight.day_start == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    # In UTC it is still the same afternoon: the learner's zone is what counts.
    alice.time_zone = "UTC"
    assert LearnerDay(alice, TOKYO_LATE + timedelta(minutes=40)).new_left == 0


def test_the_queue_and_the_progress_are_one_query_each(deck, alice, django_assert_num_queries):
    add_cards(deck, 30)
    progress = LearnerDay(alice)
    # Today's reviews come deck by deck with the decks' limits, which the queue needs.
    with django_assert_num_queries(1):
        assert progress.new_done == 0
    with django_assert_num_queries(1):
        progress.queue(limit=20)


@pytest.mark.parametrize("deck_count", [1, 50])
def test_deck_counts_are_one_query_whatever_the_number_of_decks(
    alice, deck_count, django_assert_num_queries
):
    now = TOKYO_LATE
    for i in range(deck_count):
        deck = Deck.objects.create(owner=alice, name=f"Deck {i}")
        add_cards(deck, 1, due=now - timedelta(days=1))
        add_cards(deck, 2, due=now - timedelta(hours=1), last_review=now - timedelta(days=2))
        add_cards(deck, 1, due=now - timedelta(hours=1), suspended=True)
    with django_assert_num_queries(1):
        decks = list(LearnerDay(alice, now, totals=True).decks())
    assert len(decks) == deck_count
    assert {(d.card_count, d.due_count, d.new_count) for d in decks} == {(4, 2, 1)}


def test_the_study_queue_is_read_off_its_index_without_sorting(deck, alice):
    add_cards(deck, 5)
    sql, params = LearnerDay(alice).queue_sql(limit=1)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Tiny test tables would be scanned whole; ask whether the index can serve it. On
            # them the planner may also prefer another index and a sort, depending on the
            # statistics earlier tests left: with sorting discouraged, a Sort in the plan means
            # that no index gives the queue's order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "card_study_queue" in plan
    assert "Sort" not in plan
    assert "TEMP B-TREE" not in plan


@pytest.mark.parametrize("totals", [False, True])
def test_the_deck_counts_group_todays_reviews_and_never_the_cards(deck, alice, totals):
    # Joined and grouped, every card of the deck was read on every screen, and a subquery in
    # the GROUP BY ran once for each card (15 s instead of 30 ms for 10,000 cards). The cards
    # are counted in subqueries that stop at the limits; what is joined and grouped is today's
    # reviews, each with its card's deck.
    sql, _params = LearnerDay(alice, totals=totals).decks_sql()
    outer = sql[sql.rindex("FROM cards_deck d") :]
    assert outer.count(" JOIN ") == 2
    assert "FROM cards_reviewlog l INNER JOIN cards_card c ON c.id = l.card_id" in outer
    assert outer.count(" GROUP BY ") == 1


def holiday_backlog(deck, now):
    """300 cards due ten days ago and 100 new ones, in a deck that lets 20 and 5 through."""
    deck.reviews_per_day, deck.new_cards_per_day = 20, 5
    deck.save()
    make_cards(deck, 300, due=now - timedelta(days=10), last_review=now - timedelta(days=20))
    make_cards(deck, 100, "new")


def test_a_holiday_backlog_is_counted_only_up_to_what_the_limits_let_through(deck, alice):
    holiday_backlog(deck, TOKYO_LATE)
    (counted,) = LearnerDay(alice, TOKYO_LATE).decks()
    # One more than each limit, so that "held back by a limit" still shows.
    assert (counted.due_count, counted.new_count) == (21, 6)
    _card, due, new = LearnerDay(alice, TOKYO_LATE).next_in_queue()
    assert (due, new) == (20, 5)


def plan_nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def cards_read(plan) -> list[int]:
    """The rows each scan of cards_card read: what it returned and what its filter dropped."""
    return [
        n["Actual Rows"] + n.get("Rows Removed by Filter", 0)
        for n in plan_nodes(plan)
        if n.get("Relation Name") == "cards_card"
    ]


def explained(sql, params, *, scans=False, generic=False):
    """The plan PostgreSQL runs the statement with, on statistics of this test's cards; tiny
    test tables would be scanned whole, so unless `scans`: whether the indexes can serve it.
    `generic`: the plan a prepared statement may be given after five runs, made without the
    parameters' values."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cards_card")
        if not scans:
            cursor.execute("SET LOCAL enable_seqscan = off")
        if not generic:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            return cursor.fetchone()[0][0]["Plan"]
        names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
        for number, name in enumerate(names, start=1):
            sql = sql.replace(f"%({name})s", f"${number}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE counts AS {sql}")
        values = psycopg.sql.SQL(", ").join(psycopg.sql.Literal(params[n]) for n in names)
        values = values.as_string(connection.connection)
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE counts({values})")
        plan = cursor.fetchone()[0][0]["Plan"]
        cursor.execute("DEALLOCATE counts")
        return plan


# The plan for the values (a statement run unprepared, or prepared and not yet five times),
# and the generic one.
PLANS = pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])


@PLANS
def test_the_deck_counts_read_no_more_cards_than_the_limits_let_through(deck, alice, generic):
    holiday_backlog(deck, TOKYO_LATE)
    sql, params = LearnerDay(alice, TOKYO_LATE).decks_sql()
    if connection.vendor == "postgresql":
        # Each count stops at its limit (20 or 5) and one: 300 due cards are not read.
        assert max(cards_read(explained(sql, params, generic=generic))) <= 21
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row) for row in cursor.fetchall())
        assert "card_deck_seen_due" in plan


def test_the_next_card_and_the_counts_are_prepared_statements(deck, alice):
    # Each review screen runs both: prepared, PostgreSQL plans them once a connection, not on
    # every screen (the plan tests check that the plan made without the values reads what
    # the plan for the values does). The next card's LIMIT is a literal: with LIMIT $n the
    # generic plan cannot be costed, and PostgreSQL planned the queue again on every screen.
    make_cards(deck, 3, due=TOKYO_LATE, last_review=TOKYO_LATE - timedelta(days=3))
    if connection.vendor != "postgresql":  # SQLite plans nothing ahead; nothing is asked of it
        assert "prepare_threshold" not in connection.settings_dict["OPTIONS"]
        return
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # earlier tests' (psycopg forgets its names too)
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        card, _due, _new = LearnerDay(alice).next_in_queue()
        get_card_for_user(alice, card.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    queue = [s for s in prepared if "ORDER BY c.last_review IS NULL, c.due, c.id" in s]
    assert queue and queue[0].endswith("LIMIT 1")
    assert [s for s in prepared if "FROM cards_deck d" in s]
    assert [s for s in prepared if "WHERE c.id = $1 AND c.owner_id = $2" in s]


@PLANS
def test_a_deck_without_new_cards_has_them_counted_without_reading_its_other_cards(
    deck, alice, generic
):
    # Counted off the learner's whole study queue, a deck with no new card left read every
    # card of the learner on every screen (10,200 rows for 10,000 due cards).
    make_cards(deck, 300, due=TOKYO_LATE - timedelta(days=10), last_review=TOKYO_LATE)
    sql, params = LearnerDay(alice, TOKYO_LATE).decks_sql()
    if connection.vendor == "postgresql":
        # The due count stops at the deck's 200 reviews and one; the new count reads nothing,
        # even as PostgreSQL plans it for a table this small.
        assert sum(cards_read(explained(sql, params, scans=True, generic=generic))) <= 201
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            assert "card_deck_new" in "\n".join(str(row) for row in cursor.fetchall())


@PLANS
def test_the_counts_stop_at_what_is_left_of_todays_limits(deck, alice, generic):
    holiday_backlog(deck, TOKYO_LATE)  # 300 due and 100 new; 20 reviews and 5 new a day
    due = deck.cards.filter(last_review__isnull=False)[:15]
    new = deck.cards.filter(last_review__isnull=True)[:2]
    for minutes, card in enumerate([*due, *new], start=1):
        card.review(Rating.GOOD, learner=alice, now=TOKYO_LATE - timedelta(minutes=minutes))

    day = LearnerDay(alice, TOKYO_LATE)
    (counted,) = day.decks()

    # 5 reviews and 3 new cards left today, and one more of each.
    assert (counted.due_count, counted.new_count) == (6, 4)
    if connection.vendor == "postgresql":
        # What is left (6) and the odd row the index's filter drops; not the day's limit (21).
        assert max(cards_read(explained(*day.decks_sql(), generic=generic))) < 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
@PLANS
def test_the_next_card_is_read_off_the_queue_index_as_postgresql_plans_it(
    deck, alice, bob, make_user, generic
):
    # Planned as it is run (no planner settings changed), for a learner with a day's reviews
    # due among a hundred other learners' cards (due later): multiplying `owner_id` and
    # `deck_id IN (…)` as independent, PostgreSQL expected a card or two, bitmap-scanned and
    # sorted all 150 (until migration cards 0020 told it that a deck decides its owner).
    past = TOKYO_LATE - timedelta(days=3)
    make_cards(deck, 150, due=TOKYO_LATE, last_review=past)
    make_cards(deck, 100, "later", due=TOKYO_LATE + timedelta(days=9), last_review=past)
    for owner in (bob, *(make_user(700 + i, f"Other {i}") for i in range(99))):
        others = Deck.objects.create(owner=owner, name="Theirs")
        make_cards(others, 30, due=TOKYO_LATE + timedelta(days=2), last_review=past)
    sql, params = LearnerDay(alice, TOKYO_LATE).queue_sql(limit=1)
    plan = explained(sql, params, scans=True, generic=generic)
    assert [
        n.get("Index Name") for n in plan_nodes(plan) if n.get("Relation Name") == "cards_card"
    ] == ["card_study_queue"]
    assert not [n for n in plan_nodes(plan) if n["Node Type"] == "Sort"]
    assert cards_read(plan) == [1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
@PLANS
def test_the_next_card_of_two_decks_with_due_and_new_cards_is_read_off_the_queue_index(
    deck, alice, bob, make_user, generic
):
    # The queue's other shape: due cards of some decks and new cards of others, over two
    # decks. Written as one condition (due OR new), its generic plan expected a card or two,
    # and read and sorted all 300 of the learner's waiting cards to take the first. Now each
    # range is read in the index's order and stops at its first card, whichever plan is run.
    past = TOKYO_LATE - timedelta(days=3)
    second = Deck.objects.create(owner=alice, name="Second")
    for each in (deck, second):
        make_cards(each, 100, due=TOKYO_LATE, last_review=past)
        make_cards(each, 50, "new", due=TOKYO_LATE)
    for owner in (bob, *(make_user(700 + i, f"Other {i}") for i in range(49))):
        others = Deck.objects.create(owner=owner, name="Theirs")
        make_cards(others, 30, due=TOKYO_LATE - timedelta(days=2), last_review=past)
    sql, params = LearnerDay(alice, TOKYO_LATE).queue_sql(limit=1)
    assert "new_1" in params and "due_1" in params  # due and new cards, in both decks
    plan = explained(sql, params, scans=True, generic=generic)
    assert [
        n.get("Index Name") for n in plan_nodes(plan) if n.get("Relation Name") == "cards_card"
    ] == ["card_study_queue", "card_study_queue"]
    assert cards_read(plan) == [1, 1]
    # At most the two firsts are put in order.
    assert all(n["Actual Rows"] <= 2 for n in plan_nodes(plan) if n["Node Type"] == "Sort")
