"""Statistics on a known review history, in the learner's time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from cards.day import streaks
from cards.models import Card, Deck, ReviewLog, State
from cards.stats import learner_stats
from conftest import auth_headers, htmx, make_card, make_cards

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)  # a Sunday; 15:00 in Moscow
REVIEW, LEARNING = State.REVIEW, State.LEARNING


def at(*args):
    return datetime(*args, tzinfo=UTC)


def log(card, reviewed_at, rating, state_before, duration_ms=None):
    return ReviewLog(
        card=card,
        user_id=card.owner_id,
        rating=rating,
        reviewed_at=reviewed_at,
        duration_ms=duration_ms,
        state_before=state_before,
        due_before=reviewed_at,
        last_review_before=reviewed_at - timedelta(days=1),
    )


@pytest.fixture
def history(alice):
    alice.time_zone = "Europe/Moscow"
    alice.save()
    deck = Deck.objects.create(owner=alice, name="Spanish")
    other = Deck.objects.create(owner=alice, name="Other")
    seen = {"last_review": NOW - timedelta(days=1)}

    def card(front, **fields):
        return make_card(deck=deck, front=front, back="x", **fields)

    card("new")
    card("new, suspended", suspended=True)
    card("learning", state=LEARNING, due=NOW - timedelta(hours=1), **seen)
    card("relearning", state=State.RELEARNING, due=NOW + timedelta(days=2), **seen)
    tomorrow = card("review tomorrow", state=REVIEW, due=NOW + timedelta(days=1), **seen)
    card("review later", state=REVIEW, due=NOW + timedelta(days=40), **seen)
    card("review, suspended", state=REVIEW, due=NOW, suspended=True, **seen)
    elsewhere = make_card(deck=other, front="o", back="x", state=REVIEW, due=NOW, **seen)
    ReviewLog.objects.bulk_create(
        [
            log(tomorrow, at(2025, 6, 15, 10), 3, REVIEW, 60_000),
            # 22:30 UTC is already the 15th in Moscow.
            log(tomorrow, at(2025, 6, 14, 22, 30), 1, REVIEW, 60_000),
            log(tomorrow, at(2025, 6, 14, 10), 2, REVIEW, 120_000),
            log(tomorrow, at(2025, 6, 13, 10), 3, LEARNING),
            log(tomorrow, at(2025, 6, 11, 10), 4, REVIEW),
            log(tomorrow, at(2025, 6, 10, 10), 1, REVIEW),
            log(tomorrow, at(2025, 5, 1, 10), 1, REVIEW),  # outside the 30 days of retention
            *[log(tomorrow, at(2024, 1, day, 10), 3, REVIEW) for day in range(1, 6)],
            log(elsewhere, at(2025, 6, 15, 11), 3, REVIEW, 30_000),
        ]
    )
    return deck


def test_the_deck_statistics_match_the_history(history, alice):
    stats = learner_stats(alice, deck=history, now=NOW)
    assert stats.today == date(2025, 6, 15)
    assert stats.reviews_last_year == 7
    assert (stats.current_streak, stats.longest_streak) == (3, 5)
    assert stats.retention_reviews == 5
    assert stats.retention == pytest.approx(3 / 5)
    assert stats.states == {"new": 1, "learning": 2, "review": 2, "suspended": 2}
    assert stats.due_next_30_days == 3
    assert [bar["height"] for bar in stats.forecast[:3]] == [80, 80, 80]
    assert all(bar["height"] == 0 for bar in stats.forecast[3:])
    assert stats.minutes_last_30_days == 4
    assert stats.time_spent[-1]["title"] == "June 15, 2025: 2 minutes"
    assert stats.time_spent[-2]["title"] == "June 14, 2025: 2 minutes"


def test_the_heatmap_has_a_cell_per_day_of_the_last_53_weeks(history, alice):
    stats = learner_stats(alice, deck=history, now=NOW)
    assert len(stats.heatmap) == 52 * 7 + 7
    today = stats.heatmap[-1]
    assert today == {"x": 52 * 12, "y": 6 * 12, "level": 4, "title": "June 15, 2025: 2 reviews"}
    levels = {cell["title"]: cell["level"] for cell in stats.heatmap}
    assert levels["June 14, 2025: 1 review"] == 2
    assert levels["June 12, 2025: 0 reviews"] == 0


def test_the_whole_statistics_include_every_deck(history, alice):
    stats = learner_stats(alice, now=NOW)
    assert stats.reviews_last_year == 8
    assert stats.retention == pytest.approx(4 / 6)
    assert stats.states["review"] == 3
    assert stats.due_next_30_days == 4


def test_statistics_without_any_history(alice):
    stats = learner_stats(alice, now=NOW)
    assert (stats.reviews_last_year, stats.retention, stats.current_streak) == (0, None, 0)
    assert stats.states == {"new": 0, "learning": 0, "review": 0, "suspended": 0}


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([], (0, 0)),
        ([14], (1, 1)),  # yesterday: the streak lives until today ends
        ([13], (0, 1)),
        ([15, 14, 12, 11, 10, 9], (2, 4)),
    ],
)
def test_streaks(days, expected):
    assert streaks({date(2025, 6, day) for day in days}, date(2025, 6, 15)) == expected


def test_the_stats_page_renders_in_full_and_as_a_partial(as_alice, history):
    page = as_alice.get("/stats/")
    assert b"<html" in page.content
    partial = as_alice.get("/stats/", **htmx())
    body = partial.content.decode()
    assert "<html" not in body
    assert '<svg class="chart heatmap"' in body
    assert "<title>" in body
    assert "style=" not in body
    deck_page = as_alice.get(f"/decks/{history.pk}/stats/", **htmx()).content.decode()
    assert f'data-tg-back="/decks/{history.pk}/"' in deck_page
    assert "Statistics: Spanish" in deck_page


def test_the_stats_page_speaks_russian(client, make_user):
    ivan = make_user(333, "Иван", language_code="ru")
    response = client.get("/stats/", HTTP_AUTHORIZATION=auth_headers(ivan)["Authorization"])
    assert "Статистика" in response.content.decode()


def test_another_learners_deck_stats_are_not_found(client, bob, history):
    headers = {"HTTP_AUTHORIZATION": auth_headers(bob)["Authorization"]}
    assert client.get(f"/decks/{history.pk}/stats/", **headers).status_code == 404
    assert client.post(f"/decks/{history.pk}/stats/", **headers).status_code == 405


@pytest.mark.parametrize("url", ["/stats/", "/decks/{}/stats/"])
def test_stats_pages_only_answer_get(as_alice, history, url):
    assert as_alice.post(url.format(history.pk)).status_code == 405


@pytest.mark.parametrize("count", [1, 50])
def test_the_queries_do_not_grow_with_the_history(
    as_alice, alice, count, django_assert_max_num_queries
):
    deck = Deck.objects.create(owner=alice, name="D")
    card = make_card(deck=deck, front="f", back="b")
    ReviewLog.objects.bulk_create(
        log(card, NOW - timedelta(days=i, hours=1), 3, REVIEW, 1000) for i in range(count)
    )
    with django_assert_max_num_queries(5):
        as_alice.get("/stats/", **htmx())
    with django_assert_max_num_queries(6):
        as_alice.get(f"/decks/{deck.pk}/stats/", **htmx())


# Readable on a phone: every figure in words or a table, not only in SVG tooltips


@pytest.fixture
def today_history(alice):
    """Reviews of 45 new cards today, and cards due in the coming days."""
    now = timezone.now()
    deck = Deck.objects.create(owner=alice, name="Spanish")
    cards = make_cards(deck, 45, prefix="c", state=LEARNING, last_review=now)
    ReviewLog.objects.bulk_create(log(card, now, 3, LEARNING, 20_000) for card in cards)
    Card.objects.filter(pk__in=[c.pk for c in cards[:3]]).update(
        state=REVIEW, due=now + timedelta(days=1)
    )
    return deck


def stats_page(client, **headers) -> str:
    return client.get("/stats/", **htmx(), **headers).content.decode()


def test_retention_without_reviews_of_learned_cards_says_why(as_alice, today_history):
    page = stats_page(as_alice)
    assert "(0 reviews)" not in page
    assert "It counts reviews of cards already learned; none yet." in page


def test_retention_says_what_it_counted(as_alice, today_history, alice):
    card = today_history.cards.filter(state=REVIEW).first()
    ReviewLog.objects.bulk_create(
        [log(card, timezone.now(), 3, REVIEW), log(card, timezone.now(), 1, REVIEW)]
    )
    page = stats_page(as_alice)
    assert "<strong>50%</strong>" in page
    assert "Of 2 reviews of cards already learned, the share remembered" in page


def test_the_forecast_the_time_and_the_months_are_tables_too(as_alice, today_history):
    page = " ".join(stats_page(as_alice).split())
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert f'<th scope="row">{tomorrow:%a, %B} {tomorrow.day}</th> <td>3</td>' in page
    assert "<td>15</td>" in page  # 45 reviews of 20 s today: 15 minutes
    this_month = timezone.localdate()
    assert f'<th scope="row">{this_month:%B} {this_month.year}</th> <td>45</td> <td>1</td>' in page


def test_the_card_states_take_the_russian_form_their_number_asks_for(client, make_user):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Испанский")
    seen = {"last_review": timezone.now()}
    make_cards(deck, 47, prefix="n")
    make_cards(deck, 15, prefix="l", **seen)
    make_cards(deck, 2, prefix="r", state=REVIEW, **seen)
    make_cards(deck, 1, prefix="s", suspended=True)
    page = " ".join(
        stats_page(client, HTTP_AUTHORIZATION=auth_headers(ivan)["Authorization"]).split()
    )
    assert "<strong>47</strong> новых" in page
    assert "<strong>15</strong> изучаемых" in page
    assert "<strong>2</strong> на повторении" in page
    assert "<strong>1</strong> приостановленная" in page


# Honest statistics: true retention by period and card age, and the memory of the collection


def review_log(card, reviewed_at, rating, *, interval_days, state_before=REVIEW):
    """A review of `card` whose interval before it was `interval_days`."""
    return ReviewLog(
        card=card,
        user_id=card.owner_id,
        rating=rating,
        reviewed_at=reviewed_at,
        state_before=state_before,
        due_before=reviewed_at,
        last_review_before=reviewed_at - timedelta(days=interval_days),
    )


@pytest.fixture
def moscow_reviews(alice):
    alice.time_zone = "Europe/Moscow"
    alice.save()
    card = make_card(deck=Deck.objects.create(owner=alice, name="D"), front="f", back="b")
    ReviewLog.objects.bulk_create(
        [
            # Today in Moscow (from 21:00 UTC on the 14th): young passed, mature failed.
            review_log(card, at(2025, 6, 15, 11), 3, interval_days=3),
            review_log(card, at(2025, 6, 14, 21, 30), 1, interval_days=30),
            # A learning step today does not count.
            review_log(card, at(2025, 6, 15, 9), 1, interval_days=0, state_before=LEARNING),
            # Yesterday in Moscow (20:30 UTC on the 14th): mature passed twice, young failed.
            review_log(card, at(2025, 6, 14, 20, 30), 2, interval_days=21),
            review_log(card, at(2025, 6, 14, 8), 4, interval_days=40),
            review_log(card, at(2025, 6, 13, 22), 1, interval_days=20),
            # Ten days ago, and 200 days ago, and two years ago (outside every period).
            review_log(card, at(2025, 6, 5, 10), 3, interval_days=5),
            review_log(card, at(2024, 11, 27, 10), 1, interval_days=60),
            review_log(card, at(2023, 6, 1, 10), 3, interval_days=60),
        ]
    )


def counts(cell):
    return (cell["passed"], cell["failed"])


def test_true_retention_counts_passed_and_failed_by_local_day_and_card_age(alice, moscow_reviews):
    table = learner_stats(alice, now=NOW).true_retention
    rows = {str(row["label"]): row for row in table}
    assert list(rows) == ["Today", "Yesterday", "Last 7 days", "Last 30 days", "Last 365 days"]
    assert (counts(rows["Today"]["young"]), counts(rows["Today"]["mature"])) == ((1, 0), (0, 1))
    assert (counts(rows["Yesterday"]["young"]), counts(rows["Yesterday"]["mature"])) == (
        (0, 1),
        (2, 0),
    )
    assert counts(rows["Last 7 days"]["total"]) == (3, 2)
    assert counts(rows["Last 30 days"]["young"]) == (2, 1)
    assert counts(rows["Last 365 days"]["mature"]) == (2, 2)
    assert rows["Last 365 days"]["total"]["share"] == pytest.approx(4 / 7)


def test_the_true_retention_table_is_on_the_page_with_what_it_counts(as_alice, alice):
    card = make_card(deck=Deck.objects.create(owner=alice, name="D"), front="f", back="b")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ReviewLog.objects.bulk_create(
        review_log(card, an_hour_ago, rating, interval_days=30) for rating in (3, 2, 1)
    )
    page = " ".join(stats_page(as_alice).split())
    assert "Reviews of cards already learned (not their learning steps)" in page
    assert '<th scope="row">Yesterday</th>' in page
    cell = '<strong>67%</strong> <small aria-hidden="true">2 / 1</small>'
    assert f'{cell} <span class="visually-hidden">2 passed, 1 failed</span>' in page


def test_the_retrievability_in_sql_is_fsrs_own_with_the_learners_decay(alice):
    import fsrs

    from cards.scheduling import DEFAULT_PARAMETERS

    personal = list(DEFAULT_PARAMETERS)
    personal[20] = 0.35  # a steeper forgetting curve than the default 0.1542
    alice.fsrs_parameters = personal
    alice.save()
    deck = Deck.objects.create(owner=alice, name="D")
    shapes = [(0.5, 0.4), (3.0, 2.7), (12.0, 30.2), (200.0, 45.0), (50.0, 400.9)]
    for index, (stability, days) in enumerate(shapes):
        make_card(
            deck=deck, front=f"f{index}", state=REVIEW, stability=stability, difficulty=5.0,
            last_review=NOW - timedelta(days=days), due=NOW,
        )  # fmt: skip
    make_card(deck=deck, front="never reviewed")
    make_card(
        deck=deck, front="suspended", state=REVIEW, stability=1.0, difficulty=5.0,
        last_review=NOW - timedelta(days=9), suspended=True,
    )  # fmt: skip

    stats = learner_stats(alice, now=NOW)

    def fsrs_retrievability(parameters):
        scheduler = fsrs.Scheduler(parameters=parameters)
        return [
            scheduler.get_card_retrievability(
                fsrs.Card(state=fsrs.State.Review, stability=s, difficulty=5.0,
                          last_review=NOW - timedelta(days=days)),
                NOW,
            )
            for s, days in shapes
        ]  # fmt: skip

    expected = fsrs_retrievability(personal)
    assert stats.remembered_cards == 5
    assert stats.knowledge == pytest.approx(sum(expected), rel=1e-6)
    assert stats.retrievability == pytest.approx(sum(expected) / 5, rel=1e-6)
    # The default decay would give another figure: the learner's own is the one used.
    assert sum(fsrs_retrievability(DEFAULT_PARAMETERS)) != pytest.approx(sum(expected), rel=1e-3)


def test_stability_and_difficulty_are_counted_in_bins(alice):
    deck = Deck.objects.create(owner=alice, name="D")
    seen = {"state": REVIEW, "last_review": NOW - timedelta(days=1)}
    make_cards(deck, 3, prefix="a", stability=0.5, difficulty=1.0, **seen)
    make_cards(deck, 2, prefix="b", stability=20.0, difficulty=5.5, **seen)
    make_cards(deck, 1, prefix="c", stability=1000.0, difficulty=10.0, **seen)
    make_cards(deck, 4, prefix="new")

    stats = learner_stats(alice, now=NOW)

    stability = {bar["label"]: bar["value"] for bar in stats.stability}
    assert stability["0–1 days"] == 3
    assert stability["14–30 days"] == 2
    assert stability["730 days or more"] == 1
    assert sum(stability.values()) == 6
    difficulty = [bar["value"] for bar in stats.difficulty]
    assert difficulty == [3, 0, 0, 0, 0, 2, 0, 0, 0, 1]
    assert max(bar["height"] for bar in stats.stability) == 80


def test_the_memory_figures_say_what_they_count(as_alice, alice):
    deck = Deck.objects.create(owner=alice, name="D")
    make_cards(deck, 2, stability=10.0, difficulty=5.0, state=REVIEW, last_review=timezone.now())
    page = " ".join(stats_page(as_alice).split())
    assert "<strong> 100% </strong> retrievability now" in page
    assert "averaged over your 2 reviewed cards" in page
    assert "<strong>2</strong> estimated total knowledge" in page
    assert '<th scope="row">7–14 days</th><td>2</td>' in page
    assert "Cards by difficulty" in page
