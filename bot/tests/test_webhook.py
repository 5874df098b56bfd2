"""POST /telegram/webhook/: the secret, bad input, redelivery, and the bot's commands."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from bot.models import ProcessedUpdate
from bot.tests.conftest import WEBHOOK_SECRET
from bot.tests.fake_telegram import message_update, sender
from cards.models import Deck, ReviewLog, State
from conftest import TEST_BOT_TOKEN, make_card

URL = "/telegram/webhook/"

pytestmark = pytest.mark.django_db


def post(client, body, *, secret=WEBHOOK_SECRET):
    headers = {} if secret is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


def start(update_id=1, text="/start", frm=None):
    return message_update(update_id, text, frm or sender(id=333, first_name="Eve"))


def buttons(call: dict) -> list[dict]:
    return [button for row in call["reply_markup"]["inline_keyboard"] for button in row]


# The secret


def test_it_handles_an_update_with_the_right_secret(client, telegram):
    response = post(client, start())

    assert response.status_code == 200
    assert telegram.methods == ["sendMessage"]
    assert ProcessedUpdate.objects.filter(update_id=1).exists()


@pytest.mark.parametrize("secret", ["wrong", WEBHOOK_SECRET + "x", "", None])
def test_it_refuses_a_wrong_or_missing_secret(client, telegram, secret):
    response = post(client, start(), secret=secret)

    assert response.status_code == 403
    assert telegram.requests == []
    assert not User.objects.exists()


@pytest.mark.parametrize("secret", ["", None, "anything"])
def test_it_refuses_everything_when_no_secret_is_configured(client, telegram, settings, secret):
    settings.TELEGRAM_WEBHOOK_SECRET = ""

    assert post(client, start(), secret=secret).status_code == 403
    assert telegram.requests == []


def test_it_accepts_only_post(client, telegram):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": WEBHOOK_SECRET}

    assert client.get(URL, **headers).status_code == 405


def test_it_needs_no_csrf_token(telegram):
    assert post(Client(enforce_csrf_checks=True), start()).status_code == 200


# Bad input gets a 200 (Telegram would redeliver anything else) and is ignored


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe\x00",
        "[" * 100_000,
        "null",
        "[]",
        '"text"',
        "{}",
        '{"update_id": "1", "message": {}}',
        '{"update_id": -1, "message": {}}',
        '{"update_id": 1, "message": "text"}',
        '{"update_id": 1, "message": {}}',
        '{"update_id": 1, "message": {"chat": {"id": 333, "type": "private"}, "text": "/start"}}',
        '{"update_id": 1, "message": {"chat": {"id": "333", "type": "private"}, "text": "/start",'
        ' "from": {"id": 333, "is_bot": false}}}',
        '{"update_id": 1, "message": {"chat": {"id": 333, "type": "private"}, "text": "/start",'
        ' "from": {"id": 333.5, "is_bot": false}}}',
        '{"update_id": 1, "message": {"chat": {"id": 333, "type": "private"}, "text": "/start",'
        ' "from": {"id": 333, "is_bot": true}}}',
        '{"update_id": 1, "callback_query": {"id": "c", "from": {"id": 333, "is_bot": false}}}',
        '{"update_id": 1, "callback_query": {"id": 5, "from": {"id": 333, "is_bot": false}}}',
        '{"update_id": 1, "callback_query": {"id": "c", "from": {"id": 333, "is_bot": false},'
        ' "data": "rv:1:0:show:0", "message": {"message_id": "x", "chat": []}}}',
    ],
)
def test_it_answers_200_to_a_malformed_body_and_sends_nothing_but_callback_answers(
    client, telegram, body
):
    assert post(client, body).status_code == 200
    assert set(telegram.methods) <= {"answerCallbackQuery"}


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 7, "edited_message": {"text": "/start"}},
        {"update_id": 8, "my_chat_member": {"chat": {"id": 333}}},
        {"update_id": 9, "inline_query": {"id": "1", "query": "x"}},
    ],
)
def test_it_ignores_unknown_update_types(client, telegram, update):
    assert post(client, update).status_code == 200
    assert telegram.requests == []


def test_it_ignores_messages_outside_the_private_chat(client, telegram):
    update = message_update(3, "/start", sender(id=333, first_name="Eve"), chat_type="group")

    assert post(client, update).status_code == 200
    assert telegram.requests == []
    assert not User.objects.exists()


# Redelivery


def test_a_redelivered_update_is_handled_once(client, telegram):
    assert post(client, start(update_id=42)).status_code == 200
    assert post(client, start(update_id=42)).status_code == 200

    assert telegram.methods == ["sendMessage"]
    assert ProcessedUpdate.objects.count() == 1


def test_an_update_whose_answer_failed_is_forgotten_so_nothing_half_done_stays(
    client, telegram, caplog
):
    telegram.fail(500)

    assert post(client, start(update_id=5)).status_code == 200

    assert not ProcessedUpdate.objects.exists()
    assert not User.objects.exists()  # rolled back with the update
    assert "could not answer" in caplog.text
    assert TEST_BOT_TOKEN.split(":")[1] not in caplog.text


def test_a_learner_who_blocked_the_bot_is_marked_unreachable(client, telegram, alice):
    User.objects.filter(pk=alice.pk).update(bot_can_write=True)
    telegram.fail(403)

    assert post(client, start(frm=sender(alice))).status_code == 200

    alice.refresh_from_db()
    assert alice.bot_blocked
    assert not alice.bot_reachable


# /start


def test_start_greets_a_new_learner_with_a_button_that_opens_the_mini_app(client, telegram):
    frm = sender(id=333, first_name="Eve", last_name="Adams", username="eve", language_code="en")

    post(client, start(frm=frm))

    [call] = telegram.calls("sendMessage")
    assert call["chat_id"] == 333
    assert "Hello, Eve!" in call["text"]
    assert buttons(call) == [
        {"text": "Open PhraseWeaver", "web_app": {"url": "https://pw.example.com/"}}
    ]
    eve = User.objects.get(telegram_id=333)
    assert (eve.first_name, eve.last_name, eve.telegram_username) == ("Eve", "Adams", "eve")
    assert eve.bot_can_write  # a private message means the learner started the bot
    assert eve.bot_reachable


def test_start_speaks_the_learners_language(client, telegram):
    post(client, start(frm=sender(id=333, first_name="Ева", language_code="ru")))

    [call] = telegram.calls("sendMessage")
    assert "Привет, Ева!" in call["text"]
    assert buttons(call)[0]["text"] == "Открыть PhraseWeaver"


def test_start_escapes_the_learners_name(client, telegram):
    post(client, start(frm=sender(id=333, first_name="<b>Eve</b> & co")))

    [call] = telegram.calls("sendMessage")
    assert call["parse_mode"] == "HTML"
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in call["text"]
    assert "<b>" not in call["text"]


def test_start_keeps_what_only_the_mini_app_knows_about_the_learner(client, telegram, alice):
    User.objects.filter(pk=alice.pk).update(
        photo_url="https://t.me/i/userpic/alice.jpg", allows_write_to_pm=True, bot_blocked=True
    )

    post(client, start(frm=sender(alice, first_name="Alicia")))

    alice.refresh_from_db()
    assert alice.first_name == "Alicia"
    assert alice.photo_url == "https://t.me/i/userpic/alice.jpg"
    assert alice.allows_write_to_pm
    assert not alice.bot_blocked  # writing to the bot again means it is unblocked


def test_start_with_a_shared_deck_opens_that_deck(client, telegram):
    post(client, start(text="/start deck_Ab3-x_9"))

    [call] = telegram.calls("sendMessage")
    assert buttons(call) == [
        {
            "text": "Open the shared deck",
            "web_app": {"url": "https://pw.example.com/shared/Ab3-x_9/"},
        }
    ]


@pytest.mark.parametrize("payload", ["deck_", "deck_a/b", "deck_<x>", "other", "deck_" + "a" * 60])
def test_start_with_another_payload_greets(client, telegram, payload):
    post(client, start(text=f"/start {payload}"))

    [call] = telegram.calls("sendMessage")
    assert buttons(call)[0]["web_app"]["url"] == "https://pw.example.com/"


def test_a_command_addressed_to_the_bot_by_name_works(client, telegram):
    post(client, start(text="/start@PhraseWeaverBot"))

    [call] = telegram.calls("sendMessage")
    assert "Hello, Eve!" in call["text"]


# /help and anything else


@pytest.mark.parametrize("text", ["/help", "/unknown", "  \n "])
def test_help_lists_the_commands(client, telegram, text):
    post(client, start(text=text))

    [call] = telegram.calls("sendMessage")
    for command in ("/start", "/stats", "/remind", "/help"):
        assert command in call["text"]


def test_a_message_without_text_gets_no_answer_but_lets_the_bot_write(client, telegram):
    update = message_update(4, None, sender(id=333, first_name="Eve"))
    update["message"]["write_access_allowed"] = {"web_app_name": "study"}

    assert post(client, update).status_code == 200

    assert telegram.requests == []
    assert User.objects.get(telegram_id=333).bot_can_write


# /stats


def reviewed_card(deck, *, due, **fields):
    return make_card(
        deck=deck,
        front="f",
        back="b",
        state=State.REVIEW,
        stability=3.0,
        difficulty=5.0,
        last_review=due - timedelta(days=3),
        due=due,
        **fields,
    )


def review_log(card, at):
    return ReviewLog.objects.create(
        card=card,
        user=card.owner,
        rating=3,
        reviewed_at=at,
        state_before=card.state,
        due_before=card.due,
        last_review_before=card.last_review,
    )


def test_stats_shows_what_home_shows_due_new_reviewed_and_the_streak(client, telegram, alice):
    now = timezone.now()
    deck = Deck.objects.create(owner=alice, name="Spanish")
    due = [reviewed_card(deck, due=now - timedelta(hours=1)) for _ in range(3)]
    reviewed_card(deck, due=now + timedelta(days=2))
    reviewed_card(deck, due=now - timedelta(hours=1), suspended=True)
    make_card(deck=deck, front="new", back="card")
    for at in (now, now - timedelta(days=1), now - timedelta(days=3)):
        review_log(due[0], at)

    post(client, start(text="/stats", frm=sender(alice)))

    [call] = telegram.calls("sendMessage")
    assert "Due now: 3" in call["text"]
    assert "New today: 1" in call["text"]
    assert "Reviewed today: 1" in call["text"]
    assert "Streak: 2 days" in call["text"]


# /remind


def test_remind_turns_reminders_on_and_off(client, telegram, alice):
    User.objects.filter(pk=alice.pk).update(time_zone="Europe/Berlin", reminder_hour=8)

    post(client, start(update_id=1, text="/remind", frm=sender(alice)))
    alice.refresh_from_db()
    assert alice.reminders_enabled
    post(client, start(update_id=2, text="/remind", frm=sender(alice)))
    alice.refresh_from_db()
    assert not alice.reminders_enabled

    on, off = telegram.calls("sendMessage")
    assert "Reminders are on" in on["text"]
    assert "08:00 (Europe/Berlin)" in on["text"]
    assert "Reminders are off" in off["text"]


@pytest.mark.parametrize("word,enabled", [("on", True), ("off", False), ("ON", True)])
def test_remind_with_on_or_off_sets_reminders(client, telegram, alice, word, enabled):
    User.objects.filter(pk=alice.pk).update(reminders_enabled=not enabled)

    post(client, start(text=f"/remind {word}", frm=sender(alice)))

    alice.refresh_from_db()
    assert alice.reminders_enabled is enabled


def test_remind_speaks_russian(client, telegram, alice):
    User.objects.filter(pk=alice.pk).update(language_code="ru")

    post(client, start(text="/remind", frm=sender(alice, language_code="ru")))

    [call] = telegram.calls("sendMessage")
    assert "Напоминания включены" in call["text"]
