"""One learner, every screen and message that speaks of today: the same thing, the same number.

Alice's decks' limits hold cards back (each deck 3 reviews and 2 new cards a day; in Spanish
she has used one of each), so a screen that counted its own way would show more than the
others; so does a ceiling over all decks, and the learn-ahead window when nothing else is left.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bot.reminders import send_reminders
from bot.telegram_api import bot_api
from bot.tests.fake_telegram import sender
from bot.tests.test_webhook import post, review_log, reviewed_card, start
from cards.models import Card, Deck, State
from cards.stats import learner_stats
from conftest import earlier_today, htmx, make_card, make_cards

pytestmark = pytest.mark.django_db

# Spanish: 5 due, 3 a day, 1 done; French: 1 due.
SPANISH_DUE, DUE_NOW = 2, 3
# Spanish: 3 new, 2 a day, 1 done; French: 1 new.
SPANISH_NEW, NEW_TODAY = 1, 2
REVIEWED_TODAY = 2
STREAK = 2  # today and yesterday


@pytest.fixture
def learner_with_limits(alice):
    now = timezone.now()
    alice.reviews_per_day, alice.new_cards_per_day = 3, 2
    alice.reminders_enabled, alice.bot_can_write = True, True
    alice.reminder_hour = timezone.localtime(now, alice.tz).hour
    alice.save()
    spanish = Deck.objects.create(owner=alice, name="Spanish")
    french = Deck.objects.create(owner=alice, name="French")
    due = [reviewed_card(spanish, due=now - timedelta(hours=1)) for _ in range(5)]
    due.append(reviewed_card(french, due=now - timedelta(hours=2)))
    reviewed_card(spanish, due=now + timedelta(days=3))  # not due yet
    reviewed_card(spanish, due=now - timedelta(hours=1), suspended=True)
    make_cards(spanish, 3, prefix="new")
    make_card(deck=french, front="nouveau", back="new")
    review_log(due[0], earlier_today(alice, 30, now))  # a review today
    review_log(due[0], now - timedelta(days=1))  # and one yesterday
    log = review_log(due[1], earlier_today(alice, 20, now))
    log.last_review_before = None  # today's new card
    log.save()
    return {"spanish": spanish, "french": french}


def number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return int(match[1])


def assert_the_same_numbers(
    client, as_alice, alice, telegram, deck, today, in_deck, *, reminded=True
):
    """Home, the deck screen, the review, statistics, /stats and the reminder agree."""
    due, new = today
    home = as_alice.get("/", **htmx()).content.decode()
    assert number(r"<dt>Due now</dt>\s*<dd>(\d+)</dd>", home) == due
    assert number(r"<dt>New today</dt>\s*<dd>(\d+)</dd>", home) == new
    assert number(r"<dt>Reviewed today</dt>\s*<dd>(\d+)</dd>", home) == REVIEWED_TODAY
    assert number(r"<dt>Streak</dt>\s*<dd>(\d+) days", home) == STREAK

    screen = as_alice.get(f"/decks/{deck.pk}/", **htmx()).content.decode()
    assert number(r'class="count due">\s*(\d+) due', screen) == in_deck[0]
    assert number(r'class="count new">\s*(\d+) new', screen) == in_deck[1]
    deck_review = as_alice.get(f"/decks/{deck.pk}/review/", **htmx()).content.decode()
    assert number(r"(\d+) cards? left", deck_review) == sum(in_deck)

    review = as_alice.get("/review/", **htmx()).content.decode()
    assert number(r"(\d+) cards? left", review) == due + new

    stats = learner_stats(alice)
    assert stats.current_streak == STREAK

    post(client, start(text="/stats", frm=sender(alice)))
    [message] = telegram.calls("sendMessage")
    assert number(r"Due now: (\d+)", message["text"]) == due
    assert number(r"New today: (\d+)", message["text"]) == new
    assert number(r"Reviewed today: (\d+)", message["text"]) == REVIEWED_TODAY
    assert number(r"Streak: (\d+)", message["text"]) == STREAK

    outcome = send_reminders(api=bot_api(sleep=lambda seconds: None))
    assert outcome.sent == int(reminded)
    if reminded:
        reminder = telegram.calls("sendMessage")[-1]
        assert number(r"(\d+) cards? (?:is|are) waiting", reminder["text"]) == due


def test_every_screen_and_message_shows_the_same_numbers_for_today(
    as_alice, client, alice, telegram, learner_with_limits
):
    spanish = learner_with_limits["spanish"]
    assert_the_same_numbers(
        client, as_alice, alice, telegram, spanish, (DUE_NOW, NEW_TODAY), (SPANISH_DUE, SPANISH_NEW)
    )


def test_the_same_numbers_within_a_ceiling_over_all_decks(
    as_alice, client, alice, telegram, learner_with_limits
):
    alice.daily_ceiling = REVIEWED_TODAY + 2  # two more today: due cards first
    alice.save()
    spanish = learner_with_limits["spanish"]
    assert_the_same_numbers(client, as_alice, alice, telegram, spanish, (2, 0), (2, 0))


def test_the_same_numbers_for_learning_cards_due_within_the_learn_ahead_window(
    as_alice, client, alice, telegram, learner_with_limits
):
    now = timezone.now()
    spanish, french = learner_with_limits["spanish"], learner_with_limits["french"]
    Card.objects.filter(owner=alice, last_review__isnull=True).update(suspended=True)
    # Nothing else is left: three learning cards a few minutes away, one beyond the window.
    Card.objects.filter(owner=alice, due__lte=now).update(
        due=now + timedelta(minutes=30), state=State.REVIEW
    )
    for deck, minutes in [(spanish, 5), (spanish, 10), (french, 15), (french, 25)]:
        card = reviewed_card(deck, due=now + timedelta(minutes=minutes))
        Card.objects.filter(pk=card.pk).update(state=State.LEARNING)
    # A reminder waits until a card is due: none of these is yet.
    assert_the_same_numbers(
        client, as_alice, alice, telegram, spanish, (3, 0), (2, 0), reminded=False
    )


def test_a_learner_whose_review_limit_is_used_up_gets_no_reminder(
    alice, telegram, learner_with_limits
):
    # The one review done today in Spanish used its limit up; French allows none.
    Deck.objects.filter(pk=learner_with_limits["spanish"].pk).update(reviews_per_day=1)
    Deck.objects.filter(pk=learner_with_limits["french"].pk).update(reviews_per_day=0)

    outcome = send_reminders(api=bot_api(sleep=lambda seconds: None))

    assert outcome.sent == 0
    assert telegram.calls("sendMessage") == []
    alice.refresh_from_db()
    assert alice.last_reminded_on is None  # not claimed: a later run may still remind her
