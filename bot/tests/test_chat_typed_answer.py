"""The in-chat review's production cards: the learner replies to the card's message with the
phrase typed and gets the Mini App's comparison and suggested grade."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bot.chat_review import front_message
from bot.tests.conftest import post_update
from bot.tests.fake_telegram import callback_update, message_update, sender, visible_text
from cards.models import Deck, State
from cards.scheduling import Rating
from conftest import make_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish")


def production_card(deck, front="¿Qué tal?", back="How are you?", **fields):
    now = timezone.now()
    return make_card(
        deck=deck, front=front, back=back, direction="production", state=State.REVIEW,
        stability=3.0, difficulty=5.0, last_review=now - timedelta(days=3),
        due=now - timedelta(hours=1), **fields,
    )  # fmt: skip


def post(client, update):
    post_update(client, update)


def reply(client, user, typed, card_message, update_id=1):
    """The learner replies to the bot's card message (as Telegram delivers it: the replied
    message with its buttons) with a text."""
    update = message_update(update_id, typed, sender(user))
    update["message"]["reply_to_message"] = {
        "message_id": 77,
        "date": 0,
        "from": {"id": 42, "is_bot": True, "first_name": "PhraseWeaver"},
        "chat": update["message"]["chat"],
        "text": visible_text(card_message["text"], "HTML"),
        "reply_markup": card_message["reply_markup"],
    }
    post(client, update)


def buttons(call):
    return [b for row in call["reply_markup"]["inline_keyboard"] for b in row]


def test_a_production_card_asks_for_a_reply_with_the_phrase(deck):
    message = front_message(production_card(deck))

    assert "How are you?" in message["text"] and "¿Qué tal?" not in message["text"]
    assert "Reply with the phrase to check your spelling." in message["text"]


def test_the_phrase_typed_right_is_correct_and_suggests_good(client, telegram, alice, deck):
    card = production_card(deck)

    reply(client, alice, "¿qué tal", front_message(card))

    [answer] = telegram.calls("sendMessage")
    assert answer["reply_parameters"] == {"message_id": 5001}
    text = visible_text(answer["text"], answer["parse_mode"])
    assert text == "Spanish\nHow are you?\n\nCorrect\n¿Qué tal?"
    grades = [b["text"] for b in buttons(answer)]
    assert [g.startswith("👉 ") for g in grades] == [False, False, True, False]
    assert grades[2].startswith("👉 Good · ")


def test_missing_accents_are_almost_right_and_suggest_hard(client, telegram, alice, deck):
    card = production_card(deck)

    reply(client, alice, "Que tal?", front_message(card))

    [answer] = telegram.calls("sendMessage")
    assert "Almost: mind the accents" in answer["text"]
    assert "<i>Q</i>" not in answer["text"] and "<i>é</i>" in answer["text"]
    assert buttons(answer)[1]["text"].startswith("👉 Hard")


def test_a_wrong_answer_shows_what_was_typed_escaped_and_suggests_again(
    client, telegram, alice, deck
):
    card = production_card(deck, front="a & b")

    reply(client, alice, "<script>", front_message(card))

    [answer] = telegram.calls("sendMessage")
    assert "<s>&lt;script&gt;</s>" in answer["text"]
    assert "<u>a</u>" in answer["text"] and "&amp;" in answer["text"]
    text = visible_text(answer["text"], answer["parse_mode"])
    assert text.endswith("You typed\n<script>\nThe answer\na & b")
    assert buttons(answer)[0]["text"].startswith("👉 Again")


def test_a_grade_from_the_typed_answer_grades_the_card(client, telegram, alice, deck):
    card = production_card(deck)
    reply(client, alice, "¿Qué tal?", front_message(card))
    good = buttons(telegram.calls("sendMessage")[0])[2]["callback_data"]

    post(client, callback_update(2, good, sender(alice)))

    card.refresh_from_db()
    assert card.version == 1
    assert telegram.calls("answerCallbackQuery") == [{"callback_query_id": "cb2"}]


def test_a_reply_to_the_shown_answer_is_still_checked(client, telegram, alice, deck):
    card = production_card(deck)
    post(client, callback_update(1, f"rv:{card.pk}:0:show:0", sender(alice)))
    shown = telegram.calls("editMessageText")[0]

    reply(client, alice, "¿Qué tal?", shown, update_id=2)

    assert "Correct" in telegram.calls("sendMessage")[0]["text"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("graded", "This card was already graded."),
        ("recognition", "Only a card that asks for the phrase takes a typed answer."),
        ("foreign", "This card is no longer in your decks."),
    ],
)
def test_a_reply_to_a_card_that_takes_no_typed_answer_says_why(
    client, telegram, alice, bob, deck, change, said
):
    card = production_card(deck)
    message = front_message(card)
    if change == "graded":
        card.review(Rating.GOOD, learner=alice, now=timezone.now(), version=0)
    elif change == "recognition":
        card.direction = "recognition"
        card.save()

    reply(client, bob if change == "foreign" else alice, "¿Qué tal?", message)

    [answer] = telegram.calls("sendMessage")
    assert answer["text"] == said


def test_a_reply_to_any_other_message_is_handled_as_a_message(client, telegram, alice):
    link = {"text": "x", "url": "https://t.me"}
    other = {"text": "Hi", "reply_markup": {"inline_keyboard": [[link]]}}

    reply(client, alice, "/help", other)

    [answer] = telegram.calls("sendMessage")
    assert "reply_parameters" not in answer  # the help, as for any /help


@pytest.mark.parametrize("character", ["x", "😀"])
def test_a_typed_answer_at_the_limits_fits_telegrams_message_whole_comparison_and_all(
    client, telegram, alice, character
):
    deck = Deck.objects.create(owner=alice, name="D" * 100)
    card = production_card(
        deck, front=character * 1000, back=character * 1000, example=character * 2000
    )

    reply(client, alice, "y" * 4096, front_message(card))

    [answer] = telegram.calls("sendMessage")  # Telegram took it: within 4,096
    text = visible_text(answer["text"], answer["parse_mode"])
    assert text.endswith("The answer\n" + character * 1000)
    assert "…" in text
    assert buttons(answer)[-1]["text"] == "Open the card"
