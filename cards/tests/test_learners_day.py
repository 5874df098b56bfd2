"""The learner's day, end to end: nothing blocks a learner who wants to study.

Each deck has its own daily limits; failed cards a few minutes away stay in the session (the
learn-ahead window); and once the limits are reached the learner may study more.
"""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cards.models import Card, Deck, ReviewLog
from cards.tests.test_home import deck_counts
from conftest import htmx, make_card, make_cards

pytestmark = pytest.mark.django_db


def grade(client, card, rating, query=""):
    card.refresh_from_db()
    data = {"rating": rating, "version": card.version, "duration_ms": 3000}
    return client.post(f"/review/cards/{card.pk}/grade/{query}", data, **htmx())


def glance(html: str, label: str) -> int:
    return int(re.search(rf"<dt>{label}</dt><dd>(\d+)</dd>", html)[1])


# 1. Each deck has its own limits


def test_a_new_deck_can_be_studied_after_another_deck_used_up_twenty_new_cards(
    as_alice, alice, deck
):
    for card in make_cards(deck, 25):
        card.review(4, learner=alice)
    as_alice.post(
        "/decks/new/",
        {"name": "German", "front_lang": "", "back_lang": "", "directions": "recognition"},
    )
    german = Deck.objects.get(owner=alice, name="German")
    make_card(deck=german, front="Hund", back="dog")

    home = as_alice.get("/", **htmx())
    study = as_alice.get(f"/decks/{german.pk}/review/", **htmx()).content.decode()

    assert deck_counts(home)["German"] == ("0", "1")
    assert deck_counts(home)["Spanish"] == ("0", "0")
    assert glance(home.content.decode(), "New today") == 1
    assert "Hund" in study
    assert "1 card left" in study
    assert "reached today" not in study


# 2. The learn-ahead window


def test_failed_cards_a_minute_away_are_shown_in_the_same_session(as_alice, deck):
    cards = make_cards(deck, 2)
    query = f"?since={int(timezone.now().timestamp()) - 1}"
    grade(as_alice, cards[0], 1, query)  # Again: back in a minute
    html = grade(as_alice, cards[1], 2, query).content.decode()  # Hard: back in a few minutes

    assert "Session complete" not in html
    assert "front 0" in html
    assert "2 cards left" in html
    assert "Early: nothing else is left" in html
    home = as_alice.get("/", **htmx()).content.decode()
    assert "All done" not in home
    assert glance(home, "Due now") == 2


def test_the_summary_never_says_next_card_in_0_minutes(as_alice, alice, deck):
    alice.learn_ahead_minutes = 0
    alice.save()
    [card] = make_cards(deck, 1)

    html = grade(as_alice, card, 1).content.decode()  # Again: due in one minute

    assert "Session complete" in html
    assert "0\xa0minutes" not in html
    Card.objects.filter(pk=card.pk).update(due=timezone.now() + timedelta(seconds=30))
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "Next card in less than a minute." in html


# 3. Study more


def test_the_summary_offers_more_new_cards_for_today_only(as_alice, alice, deck):
    alice.new_cards_per_day = 1
    alice.save()
    deck.refresh_from_db()
    deck.new_cards_per_day = 1
    deck.save()
    cards = make_cards(deck, 4)
    summary = grade(as_alice, cards[0], 4, f"?deck={deck.pk}").content.decode()
    assert "You have reached today's limit." in summary
    assert 'name="new"' in summary

    action = re.search(r'hx-post="(/decks/\d+/study-more/[^"]*)"', summary)[1]
    response = as_alice.post(action.replace("&amp;", "&"), {"new": 2}, **htmx())
    more = as_alice.get(json.loads(response["HX-Location"])["path"], **htmx())

    assert "2 cards left" in more.content.decode()
    deck.refresh_from_db()
    tomorrow = timezone.now() + timedelta(days=1)
    assert deck.new_limit_on(tomorrow.date()) == 1


def test_cards_due_in_the_next_days_can_be_reviewed_ahead_and_are_logged(as_alice, alice, deck):
    [card] = make_cards(deck, 1)
    card.review(4, learner=alice, now=timezone.now() - timedelta(minutes=5))  # due in days
    summary = as_alice.get(f"/decks/{deck.pk}/review/", **htmx()).content.decode()
    assert "Nothing to review right now" in summary
    assert 'name="ahead"' in summary

    ahead = as_alice.get(f"/decks/{deck.pk}/review/?ahead=30", **htmx()).content.decode()
    assert "front 0" in ahead
    assert "1 card left" in ahead
    assert "Ahead of time: due on" in ahead
    query = re.search(r'answer/\?([^"]+)"', ahead)[1].replace("&amp;", "&")
    html = grade(as_alice, card, 3, f"?{query}").content.decode()

    assert "Session complete" in html
    assert ReviewLog.objects.filter(card=card).count() == 2


def test_an_import_beyond_a_days_limit_says_how_many_days_it_takes(as_alice, alice, deck):
    rows = "".join(f"word {i}\tmeaning {i}\n" for i in range(45)).encode()
    data = {"file": SimpleUploadedFile("words.tsv", rows), "duplicates": "skip"}

    # The import runs as a task (immediately in the tests); the screen then shows its report.
    response = as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    body = response.content.decode()

    assert "45 cards added" in body
    assert "20 new cards a day: about 3 days to see them all." in body
    assert f'hx-get="/decks/{deck.pk}/edit/"' in body


def test_a_small_import_says_nothing_of_days(as_alice, deck):
    data = {"file": SimpleUploadedFile("words.tsv", b"hola\thello\n"), "duplicates": "skip"}
    response = as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    body = response.content.decode()
    assert "1 card added" in body
    assert "to see them all" not in body


def test_a_decks_limits_change_on_its_edit_screen(as_alice, deck):
    form = as_alice.get(f"/decks/{deck.pk}/edit/", **htmx()).content.decode()
    assert 'name="new_cards_per_day" value="20"' in form
    data = {
        "name": "Spanish",
        "new_cards_per_day": "5",
        "reviews_per_day": "50",
        "directions": "recognition",
    }
    as_alice.post(f"/decks/{deck.pk}/edit/", data, **htmx())
    deck.refresh_from_db()
    assert (deck.new_cards_per_day, deck.reviews_per_day) == (5, 50)


def test_a_bad_deck_limit_is_a_clear_error_that_loses_nothing(as_alice, deck):
    data = {"name": "Renamed", "new_cards_per_day": "-1", "reviews_per_day": "50"}
    html = as_alice.post(f"/decks/{deck.pk}/edit/", data, **htmx()).content.decode()
    assert "greater than or equal to 0" in html
    assert 'value="Renamed"' in html
    deck.refresh_from_db()
    assert (deck.name, deck.new_cards_per_day) == ("Spanish", 20)


def test_a_new_deck_starts_with_the_learners_limits(as_alice, alice):
    alice.new_cards_per_day, alice.reviews_per_day = 7, 70
    alice.save()
    form = as_alice.get("/decks/new/", **htmx()).content.decode()
    assert 'name="new_cards_per_day" value="7"' in form
    Deck.objects.create(owner=alice, name="Made elsewhere")  # an import, a shared deck
    deck = Deck.objects.get(name="Made elsewhere")
    assert (deck.new_cards_per_day, deck.reviews_per_day) == (7, 70)


def test_all_decks_stop_at_the_learners_ceiling(as_alice, alice, deck):
    alice.daily_ceiling = 3
    alice.save()
    deck.new_cards_per_day = 3  # used up too, which alone would offer more new cards
    deck.save()
    cards = make_cards(deck, 5)
    german = Deck.objects.create(owner=alice, name="German")
    make_cards(german, 5, prefix="german")
    query = f"?since={int(timezone.now().timestamp()) - 1}"
    assert "3 cards left" in as_alice.get(f"/review/{query}", **htmx()).content.decode()
    grade(as_alice, cards[0], 4, query)
    grade(as_alice, cards[1], 4, query)
    html = grade(as_alice, cards[2], 4, query).content.decode()
    assert "You have reached today's limit." in html
    # More new cards would not get past the ceiling; reviewing ahead is the learner's choice.
    assert "More new cards today" not in html
    assert 'name="ahead"' in html
    screen = as_alice.get(f"/decks/{deck.pk}/", **htmx()).content.decode()
    assert "More new cards today" not in screen


def test_the_deck_screen_offers_to_study_more_once_the_limits_are_reached(as_alice, alice, deck):
    deck.new_cards_per_day = 1
    deck.save()
    cards = make_cards(deck, 3)
    cards[0].review(4, learner=alice)
    screen = as_alice.get(f"/decks/{deck.pk}/", **htmx()).content.decode()
    assert f'hx-post="/decks/{deck.pk}/study-more/?deck={deck.pk}"' in screen
    assert 'name="ahead"' in screen

    response = as_alice.post(f"/decks/{deck.pk}/study-more/?deck={deck.pk}", {"new": 5}, **htmx())

    path = json.loads(response["HX-Location"])["path"]
    assert path.startswith(f"/decks/{deck.pk}/review/?since=")
    assert "2 cards left" in as_alice.get(path, **htmx()).content.decode()


@pytest.mark.parametrize("new", ["0", "-3", "many", "100000"])
def test_a_bad_number_of_more_cards_is_a_clear_error_that_changes_nothing(as_alice, deck, new):
    response = as_alice.post(f"/decks/{deck.pk}/study-more/", {"new": new}, **htmx())
    assert response.status_code == 400
    assert response.content.decode().startswith("new: ")
    deck.refresh_from_db()
    assert deck.extra_new == 0


def test_another_learners_deck_cannot_be_studied_more(as_alice, bob):
    bobs = Deck.objects.create(owner=bob, name="Bob's")
    assert as_alice.post(f"/decks/{bobs.pk}/study-more/", {"new": 5}).status_code == 404
    bobs.refresh_from_db()
    assert bobs.extra_new == 0


def test_the_review_ahead_days_are_checked(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/review/?ahead=0", **htmx())
    assert response.status_code == 400
    assert response.content.decode().startswith("ahead: ")
