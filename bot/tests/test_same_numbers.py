"""One learner, every screen and message that speaks of today: the same thing, the same number.

Alice's limits hold cards back (3 reviews and 2 new cards a day, of which she has used one
each), so a screen that counted its own way would show more than the others.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from bot.reminders import send_reminders
from bot.telegram_api import bot_api
from bot.tests.fake_telegram import sender
from bot.tests.test_webhook import post, review_log, reviewed_card, start
from cards.models import Card, Deck
from cards.stats import learner_stats
from conftest import htmx

pytestmark = pytest.mark.django_db

DUE_NOW = 2  # 6 cards due, 3 reviews a day, 1 done
NEW_TODAY = 1  # 4 new cards, 2 a day, 1 done
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
    Card.objects.bulk_create(
        Card(deck=spanish, owner=alice, front=f"new {i}", back="b") for i in range(3)
    )
    Card.objects.create(deck=french, front="nouveau", back="new")
    review_log(due[0], now - timedelta(minutes=30))  # a review today
    review_log(due[0], now - timedelta(days=1))  # and one yesterday
    log = review_log(due[1], now - timedelta(minutes=20))
    log.last_review_before = None  # today's new card
    log.save()
    return {"spanish": spanish, "french": french}


def number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in {text!r}"
    return int(match[1])


def test_every_screen_and_message_shows_the_same_numbers_for_today(
    as_alice, client, alice, telegram, learner_with_limits
):
    home = as_alice.get("/", **htmx()).content.decode()
    assert number(r"<dt>Due now</dt>\s*<dd>(\d+)</dd>", home) == DUE_NOW
    assert number(r"<dt>New today</dt>\s*<dd>(\d+)</dd>", home) == NEW_TODAY
    assert number(r"<dt>Reviewed today</dt>\s*<dd>(\d+)</dd>", home) == REVIEWED_TODAY
    assert number(r"<dt>Streak</dt>\s*<dd>(\d+) days", home) == STREAK

    deck = as_alice.get(f"/decks/{learner_with_limits['spanish'].pk}/", **htmx()).content.decode()
    assert number(r'class="count due">\s*(\d+) due', deck) == DUE_NOW
    assert number(r'class="count new">\s*(\d+) new', deck) == NEW_TODAY

    review = as_alice.get("/review/", **htmx()).content.decode()
    assert number(r"(\d+) cards? left", review) == DUE_NOW + NEW_TODAY

    stats = learner_stats(alice)
    assert stats.current_streak == STREAK

    post(client, start(text="/stats", frm=sender(alice)))
    [message] = telegram.calls("sendMessage")
    assert number(r"Due now: (\d+)", message["text"]) == DUE_NOW
    assert number(r"New today: (\d+)", message["text"]) == NEW_TODAY
    assert number(r"Reviewed today: (\d+)", message["text"]) == REVIEWED_TODAY
    assert number(r"Streak: (\d+)", message["text"]) == STREAK

    outcome = send_reminders(api=bot_api(sleep=lambda seconds: None))
    assert outcome.sent == 1
    reminder = telegram.calls("sendMessage")[-1]
    assert number(r"(\d+) cards? (?:is|are) waiting", reminder["text"]) == DUE_NOW


def test_a_learner_whose_review_limit_is_used_up_gets_no_reminder(
    alice, telegram, learner_with_limits
):
    alice.reviews_per_day = 1  # the one review done today used it up
    alice.save()

    outcome = send_reminders(api=bot_api(sleep=lambda seconds: None))

    assert outcome.sent == 0
    assert telegram.calls("sendMessage") == []
    alice.refresh_from_db()
    assert alice.last_reminded_on is None  # not claimed: a later run may still remind her
