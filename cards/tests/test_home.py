import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cards.day import LearnerDay
from cards.models import Card, Deck
from cards.scheduling import Rating
from conftest import auth_headers, earlier_today, htmx, make_card, make_cards


def add_cards(deck, count, **fields):
    return make_cards(deck, count, **fields)


def review_on(deck, *moments):
    """Review history: one card per moment, reviewed then and suspended since (so that it
    counts neither as due nor as new)."""
    for moment in moments:
        card = make_card(deck=deck, front="f", back="b", due=moment)
        card.review(Rating.GOOD, learner=deck.owner, now=moment)
    Card.objects.filter(deck=deck, phrase__front="f").update(suspended=True)


def deck_counts(response) -> dict:
    """Each listed deck's name: (due, new) as the page shows them."""
    rows = re.findall(
        r'row-main"[^>]*>([^<]*)</span>.*?count due">(\d+) due.*?count new">(\d+) new',
        response.content.decode(),
        re.DOTALL,
    )
    return {name: (due, new) for name, due, new in rows}


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])


def test_a_plain_page_load_without_init_data_gets_the_shell(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"data-shell" in response.content


def test_the_home_page_is_a_full_page_for_a_plain_request(as_alice, deck):
    response = as_alice.get("/")
    assert response.status_code == 200
    assert b"<html" in response.content
    assert b'id="flash"' in response.content
    assert b"Spanish" in response.content


def test_the_home_partial_is_just_the_screen(as_alice, deck):
    response = as_alice.get("/", **htmx())
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'class="screen home"' in response.content
    assert b"Spanish" in response.content


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_home_page_only_answers_get(as_alice, method):
    assert getattr(as_alice, method)("/", **htmx()).status_code == 405


def test_a_new_learner_is_offered_to_add_a_first_deck_on_the_main_button(as_alice):
    response = as_alice.get("/", **htmx())
    assert b'data-tg-main-button="Add your first deck"' in response.content
    assert b'data-tg-main-click="#add-deck"' in response.content
    assert b'id="add-deck"' in response.content
    assert b"data-tg-back" not in response.content


def test_with_cards_to_study_the_main_button_studies_all_decks(as_alice, deck):
    add_cards(deck, 2)
    response = as_alice.get("/", **htmx())
    assert b'data-tg-main-button="Study" data-tg-main-click="#study-all"' in response.content
    assert b'id="study-all" class="button block" href="/review/"' in response.content


def test_with_nothing_to_study_there_is_no_main_button(as_alice, deck):
    later = timezone.now() + timedelta(days=3)
    add_cards(deck, 2, due=later, last_review=timezone.now() - timedelta(days=1))
    response = as_alice.get("/", **htmx())
    assert b"data-tg-main-button" not in response.content
    assert b"All done for now" in response.content


def test_the_home_page_shows_today_at_a_glance(as_alice, alice, deck):
    now = timezone.now()
    deck.new_cards_per_day = 5
    deck.save()
    add_cards(deck, 8)  # new
    add_cards(deck, 3, due=now - timedelta(hours=1), last_review=now - timedelta(days=3))
    review_on(deck, now - timedelta(days=1), earlier_today(alice, 5, now))

    response = as_alice.get("/", **htmx())

    # Today's review of a new card used one of the five new cards of the day.
    for label, value in [("Due now", 3), ("New today", 4), ("Reviewed today", 1)]:
        assert f"<dt>{label}</dt><dd>{value}</dd>".encode() in response.content
    assert b"<dt>Streak</dt><dd>2 days</dd>" in response.content


def test_each_deck_shows_its_new_cards_capped_by_what_is_left_today(as_alice, alice, deck):
    deck.new_cards_per_day = 5
    deck.save()
    add_cards(deck, 10)
    other = Deck.objects.create(owner=alice, name="German")
    add_cards(other, 2)

    response = as_alice.get("/", **htmx())

    assert deck_counts(response) == {"German": ("0", "2"), "Spanish": ("0", "5")}


def test_deck_names_are_escaped(as_alice, alice):
    Deck.objects.create(owner=alice, name="<script>alert(1)</script>")
    response = as_alice.get("/", **htmx())
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_another_learners_decks_are_not_listed(as_alice, bob):
    Deck.objects.create(owner=bob, name="Bob's secret deck")
    response = as_alice.get("/", **htmx())
    assert b"secret deck" not in response.content
    assert b"Add your first deck" in response.content


def test_a_russian_speaking_learner_sees_the_home_page_in_russian(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru")
    response = client.get("/", headers=auth_headers(ivan), **htmx())
    assert "Добавьте первую колоду" in response.content.decode()


def test_the_interface_language_setting_overrides_telegrams(client, make_user, db):
    ivan = make_user(333, "Ivan", language_code="ru", interface_language="en")
    response = client.get("/", headers=auth_headers(ivan), **htmx())
    assert "Add your first deck" in response.content.decode()


def test_russian_plurals_of_the_streak(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Слова")
    now = timezone.now()
    review_on(deck, *(now - timedelta(days=n) for n in range(5)))
    response = client.get("/", headers=auth_headers(ivan), **htmx())
    assert "5 дней" in response.content.decode()


@pytest.mark.parametrize("count", [1, 50])
def test_the_home_page_costs_the_same_queries_for_any_number_of_decks(
    as_alice, alice, count, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(count):
        deck = Deck.objects.create(owner=alice, name=f"Deck {i}")
        add_cards(deck, 2)
        review_on(deck, now - timedelta(days=i))
    with django_assert_max_num_queries(4):
        assert as_alice.get("/", **htmx()).status_code == 200
    with django_assert_max_num_queries(4):
        assert as_alice.get("/").status_code == 200


def launch(client, user, start_param, **extra):
    """The shell's first request: Telegram opened `/?tgWebAppStartParam=…`."""
    headers = auth_headers(user, start_param=start_param)
    url = f"/?tgWebAppStartParam={start_param}"
    return client.get(url, headers=headers, **htmx(HTTP_HX_TARGET="app"), **extra)


def test_a_deck_start_parameter_opens_that_deck_on_launch(client, alice, deck):
    response = launch(client, alice, f"deck_{deck.pk}")
    assert response.status_code == 200
    assert response["HX-Replace-Url"] == f"/decks/{deck.pk}/"
    assert b'class="screen deck"' in response.content


def test_the_start_parameter_is_ignored_after_launch(client, alice, deck):
    headers = auth_headers(alice, start_param=f"deck_{deck.pk}")
    response = client.get("/", headers=headers, **htmx())
    assert "HX-Replace-Url" not in response
    assert b'class="screen home"' in response.content


@pytest.mark.parametrize("param", ["deck_999999", "stats", ""])
def test_a_start_parameter_for_no_deck_of_the_user_opens_home(client, alice, bob, param):
    bobs = Deck.objects.create(owner=bob, name="Bob's")
    for start_param in (param, f"deck_{bobs.pk}"):
        response = launch(client, alice, start_param)
        assert response.status_code == 200
        assert "HX-Location" not in response  # not taken for a share link either
        assert b'class="screen home"' in response.content


# The streak, in the learner's time zone.

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def streak_at(user, now):
    return LearnerDay(user, now).streak()


def test_no_reviews_make_no_streak(alice):
    assert streak_at(alice, NOON) == 0


def test_the_streak_counts_consecutive_days_ending_today(alice, deck):
    review_on(deck, NOON - timedelta(days=2), NOON - timedelta(days=1), NOON - timedelta(hours=1))
    assert streak_at(alice, NOON) == 3


def test_the_streak_may_end_yesterday(alice, deck):
    review_on(deck, NOON - timedelta(days=2), NOON - timedelta(days=1))
    assert streak_at(alice, NOON) == 2


def test_a_missed_day_ends_the_streak(alice, deck):
    review_on(deck, NOON - timedelta(days=5), NOON - timedelta(days=4), NOON - timedelta(days=1))
    review_on(deck, NOON - timedelta(minutes=1), NOON - timedelta(minutes=2))
    assert streak_at(alice, NOON) == 2


def test_a_streak_that_ended_before_yesterday_is_over(alice, deck):
    review_on(deck, NOON - timedelta(days=3), NOON - timedelta(days=2))
    assert streak_at(alice, NOON) == 0


def test_the_streak_follows_the_learners_time_zone(alice, deck):
    # 23:30 and 00:30 in Tokyo are two days there, one day (the 9th) in UTC.
    review_on(
        deck, datetime(2026, 3, 9, 14, 30, tzinfo=UTC), datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    )
    morning = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
    assert streak_at(alice, morning) == 1
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    assert streak_at(alice, morning) == 2


@pytest.mark.parametrize("days", [1, 50])
def test_the_streak_is_one_query(alice, deck, days, django_assert_num_queries):
    review_on(deck, *(NOON - timedelta(days=n) for n in range(days)))
    progress = LearnerDay(alice, NOON)
    with django_assert_num_queries(1):
        assert progress.streak() == days
