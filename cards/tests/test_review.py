import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.day import LearnerDay
from cards.models import Card, Deck, ReviewLog
from cards.review_session import ReviewSession, format_duration
from cards.tests.simulated_learner import FORGETFUL as PERSONAL
from conftest import htmx, make_card, make_cards, sign_for

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TRANSACTION = re.compile(r"(BEGIN|COMMIT|ROLLBACK|(RELEASE )?SAVEPOINT)\b")


@pytest.fixture
def card(deck):
    return make_card(deck=deck, front="hola", back="hello", example="¡Hola, amigo!")


@pytest.fixture
def bobs_card(bob):
    other = Deck.objects.create(owner=bob, name="Bob's")
    return make_card(deck=other, front="secret", back="bob's")


def grade(client, card, rating=3, *, version=None, query="", **extra):
    data = {"rating": rating, "version": card.version if version is None else version}
    data["duration_ms"] = extra.pop("duration_ms", 4000)
    url = f"/review/cards/{card.pk}/grade/{query}"
    return client.post(url, data, **htmx(**extra))


def since_param(response) -> str:
    return re.search(r"since=(\d+)", response.content.decode()).group(1)


# The review page


def test_it_shows_the_first_card_front_with_show_answer(as_alice, card):
    response = as_alice.get("/review/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "hola" in html
    assert "hello" not in html
    assert 'data-tg-main-button="Show answer"' in html
    assert 'data-tg-back="/"' in html
    assert "1 card left" in html


def test_it_returns_the_screen_partial_to_htmx(as_alice, card):
    response = as_alice.get("/review/", **htmx())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<section class="screen review"')
    assert "hola" in html


def test_every_link_on_the_question_has_a_matching_href(as_alice, card):
    html = as_alice.get("/review/", **htmx()).content.decode()
    for target in re.findall(r'hx-get="([^"]+)"', html):
        assert f'href="{target}"' in html


def test_the_deck_review_stays_in_its_deck(as_alice, deck, alice):
    other = Deck.objects.create(owner=alice, name="German")
    make_card(deck=other, front="hallo", back="hello")
    make_card(deck=deck, front="hola", back="hello")
    html = as_alice.get(f"/decks/{deck.pk}/review/", **htmx()).content.decode()
    assert "hola" in html
    assert "hallo" not in html
    assert f"deck={deck.pk}" in html
    assert "1 card left" in html


def test_a_deck_without_a_front_language_has_no_speaker(as_alice, deck, card):
    deck.front_lang = ""
    deck.save()
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "data-speak-lang" not in html


def test_the_review_page_escapes_card_text(as_alice, deck):
    make_card(deck=deck, front="<script>alert(1)</script>", back="<b>x</b>")
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_suspended_cards_are_not_reviewed(as_alice, deck):
    make_card(deck=deck, front="put aside", back="x", suspended=True)
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "put aside" not in html
    assert "Nothing to review right now" in html


# The answer


def test_show_answer_returns_the_back_and_four_grade_buttons_with_intervals(as_alice, card):
    response = as_alice.get(
        f"/review/cards/{card.pk}/answer/?since=1", **htmx(HTTP_HX_TARGET="review-card")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="review-card"')
    assert "hello" in html
    assert "¡Hola, amigo!" in html
    button = r'data-review-grade="(\d)" data-tg-haptic="impact">(\w+) <small>(\w+)<'
    buttons = re.findall(button, html)
    assert buttons == [
        ("1", "Again", "1m"),
        ("2", "Hard", "6m"),
        ("3", "Good", "10m"),
        ("4", "Easy", "8d"),
    ]
    assert f'name="version" value="{card.version}"' in html
    assert "since=1" in html
    assert "data-tg-main-button" not in html


def test_the_answer_outside_the_card_swap_is_the_whole_screen(as_alice, card):
    full = as_alice.get(f"/review/cards/{card.pk}/answer/").content.decode()
    shell_reload = as_alice.get(
        f"/review/cards/{card.pk}/answer/", **htmx(HTTP_HX_TARGET="app")
    ).content.decode()
    assert "<html" in full
    assert "<html" not in shell_reload
    for html in (full, shell_reload):
        assert 'class="screen review"' in html
        assert "hello" in html
        assert 'data-review-grade="4"' in html


# Grading


def test_a_grade_reviews_the_card_and_shows_the_next_one(as_alice, deck, alice):
    first, second = make_cards(deck, 2)
    response = grade(as_alice, first, 3, duration_ms=5200)
    html = response.content.decode()
    assert response.status_code == 200
    log = ReviewLog.objects.get()
    assert (log.card_id, log.rating, log.duration_ms, log.user_id) == (first.pk, 3, 5200, alice.pk)
    assert "front 1" in html
    assert "1 card left" in html
    assert "data-review-undo" in html
    assert f'name="review" value="{log.pk}"' in html


def test_a_grade_clamps_a_long_duration_to_ten_minutes(as_alice, card):
    grade(as_alice, card, 3, duration_ms=3_600_000)
    assert ReviewLog.objects.get().duration_ms == 600_000


def test_a_grade_without_a_duration_is_recorded_without_one(as_alice, card):
    url = f"/review/cards/{card.pk}/grade/"
    response = as_alice.post(url, {"rating": 1, "version": 0}, **htmx())
    assert response.status_code == 200
    assert ReviewLog.objects.get().duration_ms is None


def test_a_grade_sent_twice_is_applied_once(as_alice, deck):
    first, second = make_cards(deck, 2)
    grade(as_alice, first, 3)
    again = grade(as_alice, first, 3, version=0)
    assert again.status_code == 200
    assert ReviewLog.objects.count() == 1
    first.refresh_from_db()
    assert first.version == 1
    assert "front 1" in again.content.decode()


def test_a_grade_whose_next_screen_fails_is_kept_and_tapping_again_grades_nothing_more(
    as_alice, deck, monkeypatch
):
    # The database going away between the grade and the next screen: the learner gets an
    # error and taps again, with the version they saw. The grade is already written (it is
    # one statement, committed before the next screen is read), so the second tap is stale:
    # it changes nothing and shows the next card.
    cards = make_cards(deck, 2)

    def database_gone(session):
        raise OperationalError("server closed the connection unexpectedly")

    with monkeypatch.context() as patched:
        patched.setattr(ReviewSession, "next_card", database_gone)
        as_alice.raise_request_exception = False
        assert grade(as_alice, cards[0], 3).status_code == 503

    again = grade(as_alice, cards[0], 1)  # version 0 again, another grade
    assert again.status_code == 200
    assert "front 1" in again.content.decode()
    assert list(ReviewLog.objects.values_list("card", "rating")) == [(cards[0].pk, 3)]
    assert Card.objects.get(pk=cards[0].pk).version == 1


def test_a_stale_grade_of_the_last_card_shows_the_summary(as_alice, card):
    grade(as_alice, card, 4)
    again = grade(as_alice, card, 1, version=0)
    assert again.status_code == 200
    assert "You reviewed 1 card." in again.content.decode()
    assert ReviewLog.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rating": 5, "version": 0}, "rating"),
        ({"rating": 0, "version": 0}, "rating"),
        ({"rating": "good", "version": 0}, "rating"),
        ({"version": 0}, "rating"),
        ({"rating": 3}, "version"),
        ({"rating": 3, "version": -1}, "version"),
        ({"rating": 3, "version": "x"}, "version"),
        ({"rating": 3, "version": 2**40}, "version"),
        ({"rating": 3, "version": 0, "duration_ms": -5}, "duration_ms"),
        ({"rating": 3, "version": 0, "duration_ms": "1e3"}, "duration_ms"),
        ({"rating": 3, "version": 0, "duration_ms": "9" * 5000}, "duration_ms"),
    ],
)
def test_an_invalid_grade_is_a_400_with_a_short_message(as_alice, card, data, field):
    response = as_alice.post(f"/review/cards/{card.pk}/grade/", data, **htmx())
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")
    assert len(response.content) < 200
    assert ReviewLog.objects.count() == 0


@pytest.mark.parametrize("query", ["?since=x", "?since=-1", "?deck=0", "?deck=abc"])
def test_an_invalid_session_is_a_400_on_every_review_url(as_alice, card, query):
    assert as_alice.get(f"/review/{query}").status_code == 400
    assert as_alice.get(f"/review/cards/{card.pk}/answer/{query}").status_code == 400
    assert grade(as_alice, card, query=query).status_code == 400
    assert as_alice.post(f"/review/undo/{query}", {"review": 1}).status_code == 400
    assert ReviewLog.objects.count() == 0


def test_a_huge_since_is_read_as_now(as_alice, card):
    response = as_alice.get(f"/review/?since={10**30}", **htmx())
    assert response.status_code == 200


def test_a_grade_without_htmx_redirects_to_the_review_page(as_alice, deck, card):
    url = f"/review/cards/{card.pk}/grade/?since=100&deck={deck.pk}"
    response = as_alice.post(url, {"rating": 3, "version": 0})
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{deck.pk}/review/?since=100&deck={deck.pk}"
    assert ReviewLog.objects.count() == 1


def test_a_grade_without_init_data_is_a_401(client, card):
    response = client.post(f"/review/cards/{card.pk}/grade/", {"rating": 3, "version": 0}, **htmx())
    assert response.status_code == 401
    assert ReviewLog.objects.count() == 0


# Undo


def undo_button_review(response) -> str:
    return re.search(r'name="review" value="(\d+)"', response.content.decode()).group(1)


def test_undo_restores_the_card_exactly_and_shows_its_front(as_alice, deck):
    first, second = make_cards(deck, 2)
    before = Card.objects.get(pk=first.pk)
    graded = grade(as_alice, first, 4)
    response = as_alice.post("/review/undo/", {"review": undo_button_review(graded)}, **htmx())
    html = response.content.decode()
    after = Card.objects.get(pk=first.pk)
    assert response.status_code == 200
    assert ReviewLog.objects.count() == 0
    assert after.snapshot() == before.snapshot()
    assert after.version == 2
    assert "front 0" in html
    assert "data-review-question" in html
    assert "2 cards left" in html
    assert "data-review-undo" not in html


def test_undo_sent_twice_undoes_one_grade(as_alice, deck):
    first, second = make_cards(deck, 2)
    grade(as_alice, first, 3)
    graded = grade(as_alice, second, 3)
    review = undo_button_review(graded)
    as_alice.post("/review/undo/", {"review": review}, **htmx())
    again = as_alice.post("/review/undo/", {"review": review}, **htmx())
    assert again.status_code == 200
    assert list(ReviewLog.objects.values_list("card_id", flat=True)) == [first.pk]


def test_undo_offers_the_previous_grade_of_the_session_next(as_alice, deck):
    first, second = make_cards(deck, 2)
    grade(as_alice, first, 3)
    graded = grade(as_alice, second, 3)
    undone = as_alice.post("/review/undo/", {"review": undo_button_review(graded)}, **htmx())
    assert undo_button_review(undone) == str(ReviewLog.objects.get(card=first).pk)


def test_undo_leaves_reviews_from_before_the_session_alone(as_alice, card, alice):
    card.review(3, learner=alice, now=timezone.now() - timedelta(minutes=5))
    opened = as_alice.get("/review/", **htmx())
    since = int(timezone.now().timestamp()) - 60
    log = ReviewLog.objects.get()
    response = as_alice.post(f"/review/undo/?since={since}", {"review": log.pk}, **htmx())
    assert response.status_code == 200
    assert ReviewLog.objects.count() == 1
    assert "data-review-undo" not in opened.content.decode()


def test_undo_of_a_card_graded_again_elsewhere_changes_nothing(as_alice, card, alice):
    graded = grade(as_alice, card, 1)
    card.refresh_from_db()
    card.review(3, learner=alice, now=timezone.now() + timedelta(minutes=2))
    before = Card.objects.get(pk=card.pk)
    response = as_alice.post("/review/undo/", {"review": undo_button_review(graded)}, **htmx())
    assert response.status_code == 200
    assert ReviewLog.objects.count() == 2
    assert Card.objects.get(pk=card.pk).snapshot() == before.snapshot()


def test_undo_without_htmx_redirects_to_the_review_page(as_alice, card):
    graded = grade(as_alice, card, 3)
    response = as_alice.post("/review/undo/?since=100", {"review": undo_button_review(graded)})
    assert response.status_code == 302
    assert response["Location"] == "/review/?since=100"
    assert ReviewLog.objects.count() == 0


@pytest.mark.parametrize("review", ["", "x", "0", str(2**70)])
def test_an_invalid_undo_is_a_400(as_alice, card, review):
    grade(as_alice, card, 3)
    response = as_alice.post("/review/undo/", {"review": review}, **htmx())
    assert response.status_code == 400
    assert response.content.decode().startswith("review: ")
    assert ReviewLog.objects.count() == 1


# Another learner's cards and decks


def test_another_learners_card_is_a_404_on_every_review_url(as_alice, bobs_card):
    before = Card.objects.get(pk=bobs_card.pk)
    answer = f"/review/cards/{bobs_card.pk}/answer/"
    assert as_alice.get(answer).status_code == 404
    assert as_alice.get(answer, **htmx(HTTP_HX_TARGET="review-card")).status_code == 404
    assert grade(as_alice, bobs_card, 3).status_code == 404
    plain_post = as_alice.post(f"/review/cards/{bobs_card.pk}/grade/", {"rating": 3, "version": 0})
    assert plain_post.status_code == 404
    assert Card.objects.get(pk=bobs_card.pk).snapshot() == before.snapshot()
    assert ReviewLog.objects.count() == 0


def test_another_learners_deck_is_a_404_on_every_review_url(as_alice, bob, card, bobs_card, alice):
    bobs_deck = bobs_card.deck
    query = f"?deck={bobs_deck.pk}"
    assert as_alice.get(f"/decks/{bobs_deck.pk}/review/").status_code == 404
    assert as_alice.get(f"/decks/{bobs_deck.pk}/review/", **htmx()).status_code == 404
    assert as_alice.get(f"/review/{query}", **htmx()).status_code == 404
    assert as_alice.get(f"/review/cards/{card.pk}/answer/{query}").status_code == 404
    assert grade(as_alice, card, 3, query=query).status_code == 404
    assert ReviewLog.objects.count() == 0
    card.review(3, learner=alice)
    log = ReviewLog.objects.get()
    undo = as_alice.post(f"/review/undo/{query}", {"review": log.pk}, **htmx())
    assert undo.status_code == 404
    assert ReviewLog.objects.count() == 1


def test_another_learners_review_cannot_be_undone(as_alice, bobs_card, bob):
    bobs_card.review(3, learner=bob)
    log = ReviewLog.objects.get()
    response = as_alice.post("/review/undo/", {"review": log.pk}, **htmx())
    assert response.status_code == 200
    assert ReviewLog.objects.count() == 1


def test_another_learners_cards_are_not_in_the_queue(as_alice, bobs_card):
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "secret" not in html
    assert "Nothing to review right now" in html


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/review/"),
        ("put", "/review/"),
        ("post", "/decks/{deck}/review/"),
        ("post", "/review/cards/{card}/answer/"),
        ("get", "/review/cards/{card}/grade/"),
        ("delete", "/review/cards/{card}/grade/"),
        ("get", "/review/undo/"),
    ],
)
def test_a_wrong_method_is_a_405(as_alice, card, method, url):
    url = url.format(deck=card.deck_id, card=card.pk)
    assert getattr(as_alice, method)(url, **htmx()).status_code == 405


# The summary and the daily limits


def test_the_summary_counts_the_session_by_rating_and_time(as_alice, alice, deck):
    alice.learn_ahead_minutes = 0  # or the two learning cards would come back in the session
    alice.save()
    cards = make_cards(deck, 3)
    opened = as_alice.get("/review/", **htmx())
    query = f"?since={since_param(opened)}"
    grade(as_alice, cards[0], 1, query=query, duration_ms=30_000)
    grade(as_alice, cards[1], 3, query=query, duration_ms=20_000)
    html = grade(as_alice, cards[2], 4, query=query, duration_ms=15_000).content.decode()
    # "Again" and "Good" keep the first two cards in learning for a few minutes.
    assert "Session complete" in html
    assert "You reviewed 3 cards." in html
    assert "Time: 1:05" in html
    ratings = re.findall(r"<dt>(\w+)</dt><dd>(\d+)</dd>", html)
    assert ratings == [("Again", "1"), ("Hard", "0"), ("Good", "1"), ("Easy", "1")]
    assert 'data-tg-notify="success"' in html
    assert re.search(r"Next card in (less than a minute|1\xa0minute)\.", html)
    assert 'data-tg-main-button="Done"' in html
    assert "data-review-undo" in html


def test_the_summary_of_an_empty_session_fires_no_success(as_alice, deck, card, alice):
    card.review(4, learner=alice)
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "Nothing to review right now" in html
    assert "data-tg-notify" not in html
    assert "Next card in 1\xa0week" in html


def test_the_summary_says_when_nothing_is_scheduled(as_alice):
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "No cards are scheduled." in html


def test_the_new_card_limit_ends_the_session_with_the_summary(as_alice, alice, deck):
    deck.new_cards_per_day = 2
    deck.save()
    cards = make_cards(deck, 3)
    assert "2 cards left" in as_alice.get("/review/", **htmx()).content.decode()
    grade(as_alice, cards[0], 4)
    html = grade(as_alice, cards[1], 4).content.decode()
    assert "Session complete" in html
    assert "You have reached today's limit." in html
    assert "Next card in" in html
    assert Card.objects.filter(last_review__isnull=True).count() == 1


def test_the_review_limit_holds_due_cards_back_until_tomorrow(as_alice, alice, deck):
    deck.reviews_per_day = 1
    deck.save()
    cards = make_cards(deck, 2)
    yesterday = timezone.now() - timedelta(days=3)
    for card in cards:
        card.review(3, learner=alice, now=yesterday)
    ReviewLog.objects.update(reviewed_at=yesterday)
    assert "1 card left" in as_alice.get("/review/", **htmx()).content.decode()
    first = Card.objects.for_user(alice).order_by("due", "id").first()
    html = grade(as_alice, first, 4).content.decode()
    assert "You have reached today's limit." in html


def test_the_counter_respects_the_daily_limits_and_counts_due_cards_first(as_alice, alice, deck):
    deck.new_cards_per_day = 5
    deck.save()
    make_cards(deck, 8, prefix="new")
    for card in make_cards(deck, 3, prefix="seen"):
        card.review(3, learner=alice, now=timezone.now() - timedelta(days=1))
    html = as_alice.get("/review/", **htmx()).content.decode()
    # Three learning cards due since yesterday, then five of the eight new cards.
    assert "8 cards left" in html
    assert ">seen 0<" in html


def test_the_session_counts_agree_with_daily_progress(alice, deck):
    cards = make_cards(deck, 4)
    now = timezone.now()
    cards[0].review(3, learner=alice, now=now - timedelta(days=2))
    cards[1].review(3, learner=alice, now=now - timedelta(minutes=5))
    cards[0].refresh_from_db()
    cards[0].review(3, learner=alice, now=now - timedelta(minutes=1))
    session = ReviewSession(alice, since=now - timedelta(minutes=2), now=now)
    progress = LearnerDay(alice, now)
    assert (session.day.new_done, session.day.reviews_done) == (
        progress.new_done,
        progress.reviews_done,
    )
    assert (session.day.new_left, session.day.reviews_left) == (
        progress.new_left,
        progress.reviews_left,
    )
    assert session.reviewed == 1


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "0:00"), (42_400, "0:42"), (725_000, "12:05"), (3_729_000, "1:02:09")]
)
def test_time_spent_reads_like_a_clock(ms, text):
    assert format_duration(ms) == text


# Size and queries


def test_the_screen_after_a_grade_is_under_4_kb(as_alice, deck):
    cards = make_cards(deck, 50, example="Un ejemplo bastante largo " * 4, notes="Nota " * 20)
    response = grade(as_alice, cards[0], 3, query=f"?since=1&deck={deck.pk}")
    assert response.status_code == 200
    assert len(response.content) < 4096


def test_the_answer_is_under_4_kb(as_alice, deck):
    cards = make_cards(deck, 1, example="Un ejemplo bastante largo " * 4, notes="Nota " * 20)
    url = f"/review/cards/{cards[0].pk}/answer/?since=1&deck={deck.pk}"
    response = as_alice.get(url, **htmx(HTTP_HX_TARGET="review-card"))
    assert len(response.content) < 4096


@pytest.mark.parametrize("due", [1, 50])
def test_review_screens_cost_constant_queries(
    as_alice, deck, django_assert_max_num_queries, due, alice
):
    cards = make_cards(deck, due)
    for card in cards[1:]:
        card.review(3, learner=alice, now=timezone.now() - timedelta(days=1))
    # The user; today's progress with the session; the next card with the counts; for the
    # deck review, the deck.
    with django_assert_max_num_queries(3):
        as_alice.get("/review/", **htmx())
    with django_assert_max_num_queries(4):
        as_alice.get(f"/decks/{deck.pk}/review/", **htmx())
    # The user and the card; the deck comes with the card.
    with django_assert_max_num_queries(2):
        as_alice.get(
            f"/review/cards/{cards[0].pk}/answer/?deck={deck.pk}",
            **htmx(HTTP_HX_TARGET="review-card"),
        )


@pytest.mark.parametrize("personal", [False, True], ids=["defaults", "personal"])
@pytest.mark.parametrize("due", [1, 300])
def test_a_grade_costs_five_statements_on_postgresql_however_many_cards_are_due(
    as_alice, alice, deck, due, personal
):
    # Personal FSRS parameters are a column of the user's row: no query more.
    if personal:
        alice.fsrs_parameters = list(PERSONAL)
        alice.save()
    cards = make_cards(deck, due + 1)
    # The user, the card, the grade (the conditional UPDATE with the ReviewLog INSERT in one
    # statement; SQLite takes no UPDATE in a WITH, and makes them two in a transaction, whose
    # control is not a statement), today's progress with the session, the next card.
    with CaptureQueriesContext(connection) as queries:
        response = grade(as_alice, cards[0], 3, query=f"?since=1&deck={deck.pk}")
    assert "front 1" in response.content.decode()
    statements = [q["sql"] for q in queries.captured_queries if not TRANSACTION.match(q["sql"])]
    assert len(statements) <= (5 if connection.vendor == "postgresql" else 6), "\n".join(statements)
    if connection.vendor == "postgresql":
        # No BEGIN and COMMIT (here a SAVEPOINT and its RELEASE): two round trips fewer.
        assert len(queries.captured_queries) == len(statements)


def test_a_holiday_backlog_shows_what_the_limits_let_through(as_alice, deck):
    deck.reviews_per_day = 20
    deck.save()
    cards = make_cards(deck, 300, due=timezone.now() - timedelta(days=10), last_review=NOW)
    screen = grade(as_alice, cards[0], 3, query=f"?since=1&deck={deck.pk}").content.decode()
    assert "19 cards left" in screen


def test_the_last_grade_costs_two_more_queries_for_the_summary(
    as_alice, card, django_assert_max_num_queries
):
    # The session's reviews and when the next card is due, beside a grade's eight.
    with django_assert_max_num_queries(10):
        response = grade(as_alice, card, 4, query=f"?since=1&deck={card.deck_id}")
    assert "You reviewed 1 card." in response.content.decode()


@pytest.mark.parametrize("due", [1, 50])
def test_an_undo_costs_constant_queries(as_alice, deck, django_assert_max_num_queries, due):
    cards = make_cards(deck, due)
    graded = grade(as_alice, cards[0], 3)
    # The user, the review; the latest-review check, UPDATE and DELETE of ReviewLog.undo
    # (with a SAVEPOINT pair); the card again; progress with the session; the queue.
    with django_assert_max_num_queries(10):
        as_alice.post("/review/undo/", {"review": undo_button_review(graded)}, **htmx())


# Russian


def test_the_review_speaks_russian(client, make_user):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Испанский")
    cards = make_cards(deck, 6)
    client.defaults["HTTP_AUTHORIZATION"] = f"tma {sign_for(ivan)}"
    question = client.get("/review/", **htmx()).content.decode()
    assert 'data-tg-main-button="Показать ответ"' in question
    assert "Осталось 6 карточек" in question
    answer = client.get(
        f"/review/cards/{cards[0].pk}/answer/", **htmx(HTTP_HX_TARGET="review-card")
    ).content.decode()
    assert "Снова <small>1m</small>" in answer
    assert "Легко" in answer
    for card in cards[:-1]:
        grade(client, card, 4)
    last = grade(client, cards[-1], 4).content.decode()
    assert "Отменить" in last
    assert "Вы повторили 6 карточек." in last
    assert "Занятие окончено" in last
    assert "До следующей карточки: " in last


@pytest.mark.parametrize("held", [1, 50])
def test_the_summary_costs_constant_queries(
    as_alice, alice, deck, django_assert_max_num_queries, held
):
    deck.new_cards_per_day = 0
    deck.save()
    make_cards(deck, held)
    # The user; today's progress; the (empty) queue; the session's reviews; when the next
    # card is due.
    with django_assert_max_num_queries(5):
        response = as_alice.get("/review/", **htmx())
    assert "You have reached today's limit." in response.content.decode()


def test_the_card_names_its_deck_only_in_an_all_decks_review(as_alice, deck, card):
    everything = as_alice.get("/review/", **htmx()).content.decode()
    one_deck = as_alice.get(f"/decks/{deck.pk}/review/", **htmx()).content.decode()
    assert '<p class="hint review-deck">Spanish</p>' in everything
    assert "review-deck" not in one_deck
