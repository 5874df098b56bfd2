"""Review in the bot's chat: the buttons' callback queries, through the webhook."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from bot.chat_review import BATCH, answer_message, front_message
from bot.tests.conftest import post_update
from bot.tests.fake_telegram import TEXT_LIMIT, callback_update, sender, visible_text
from cards.models import Card, Deck, Phrase, ReviewLog, State
from cards.scheduling import Rating
from conftest import make_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish <basics>")


def due_card(deck, front="hola", back="hello", **fields):
    now = timezone.now()
    return make_card(
        deck=deck,
        front=front,
        back=back,
        state=State.REVIEW,
        stability=3.0,
        difficulty=5.0,
        last_review=now - timedelta(days=3),
        due=now - timedelta(hours=1),
        **fields,
    )


class Chat:
    """Presses buttons in alice's chat, each press a new update through the webhook."""

    def __init__(self, client, telegram, user):
        self.client, self.telegram, self.user = client, telegram, user
        self.update_id = 100

    def press(self, data: str):
        self.update_id += 1
        post_update(self.client, callback_update(self.update_id, data, sender(self.user)))

    @property
    def notices(self) -> list:
        return [call.get("text") for call in self.telegram.calls("answerCallbackQuery")]

    @property
    def edits(self) -> list[dict]:
        return self.telegram.calls("editMessageText")

    def buttons(self, index=-1) -> list[dict]:
        keyboard = self.edits[index]["reply_markup"]["inline_keyboard"]
        return [button for row in keyboard for button in row]


@pytest.fixture
def chat(client, telegram, alice):
    return Chat(client, telegram, alice)


def test_show_answer_edits_the_message_into_the_back_and_four_grades(chat, deck):
    card = due_card(deck, front="<b>hola</b>", back="hello & hi", example="¡Hola, amigo!")

    chat.press(f"rv:{card.pk}:{card.version}:show:0")

    [edit] = chat.edits
    assert (edit["chat_id"], edit["message_id"]) == (111, 77)
    assert edit["parse_mode"] == "HTML"
    assert "&lt;b&gt;hola&lt;/b&gt;" in edit["text"]
    assert "hello &amp; hi" in edit["text"]
    assert "Spanish &lt;basics&gt;" in edit["text"]
    assert "¡Hola, amigo!" in edit["text"]
    grades = chat.buttons()
    assert [b["callback_data"] for b in grades] == [
        f"rv:{card.pk}:{card.version}:{rating}:0" for rating in Rating.ALL
    ]
    assert [b["text"].split(" · ")[0] for b in grades] == ["Again", "Hard", "Good", "Easy"]
    assert grades[0]["text"] == "Again · 10m"  # relearning step
    assert chat.notices == [None]  # answered, silently
    assert not ReviewLog.objects.exists()


def test_a_grade_goes_through_card_review_and_shows_the_next_card(chat, deck, alice):
    first, second = due_card(deck, front="uno"), due_card(deck, front="dos")

    chat.press(f"rv:{first.pk}:0:{Rating.GOOD}:0")

    [log] = ReviewLog.objects.all()
    assert (log.card_id, log.user_id, log.rating) == (first.pk, alice.pk, Rating.GOOD)
    first.refresh_from_db()
    assert first.version == 1
    assert first.due > timezone.now() + timedelta(days=1)
    [edit] = chat.edits
    assert "dos" in edit["text"]
    assert chat.buttons()[0] == {"text": "Show answer", "callback_data": f"rv:{second.pk}:0:show:1"}
    assert chat.buttons()[1]["web_app"] == {"url": "https://pw.example.com/review/"}
    assert chat.notices == [None]


def test_after_a_batch_it_suggests_the_app(chat, deck):
    cards = [due_card(deck, front=f"card {n}") for n in range(BATCH + 1)]

    for graded, card in enumerate(cards[:BATCH]):
        chat.press(f"rv:{card.pk}:0:{Rating.EASY}:{graded}")

    assert ReviewLog.objects.count() == BATCH
    last = chat.edits[-1]
    assert "5 cards reviewed." in last["text"]
    assert chat.buttons() == [
        {"text": "Continue in the app", "web_app": {"url": "https://pw.example.com/review/"}}
    ]


def test_when_nothing_is_left_it_says_so(chat, deck):
    card = due_card(deck)

    chat.press(f"rv:{card.pk}:0:{Rating.EASY}:2")

    assert chat.edits[-1]["text"] == "3 cards reviewed. All done for now!"


def test_new_cards_follow_the_due_ones_as_in_the_mini_app(chat, deck):
    card = due_card(deck)
    new = make_card(deck=deck, front="nuevo", back="new")

    chat.press(f"rv:{card.pk}:0:{Rating.GOOD}:0")

    assert chat.buttons()[0]["callback_data"] == f"rv:{new.pk}:0:show:1"


def test_someone_elses_card_changes_nothing_and_says_so(chat, bob):
    bobs = due_card(Deck.objects.create(owner=bob, name="Bob's"))

    chat.press(f"rv:{bobs.pk}:0:show:0")
    chat.press(f"rv:{bobs.pk}:0:{Rating.AGAIN}:0")

    assert chat.edits == []
    assert chat.notices == ["This card is no longer in your decks."] * 2
    bobs.refresh_from_db()
    assert bobs.version == 0
    assert not ReviewLog.objects.exists()


def test_an_already_graded_card_changes_nothing_and_says_so(chat, deck, alice):
    card = due_card(deck)
    card.review(Rating.GOOD, learner=alice)  # graded in the Mini App meanwhile

    chat.press(f"rv:{card.pk}:0:{Rating.AGAIN}:0")
    chat.press(f"rv:{card.pk}:0:show:0")

    assert chat.edits == []
    assert chat.notices == ["This card was already graded."] * 2
    [log] = ReviewLog.objects.all()
    assert log.rating == Rating.GOOD


def test_a_double_tap_on_a_grade_grades_once(chat, deck):
    card = due_card(deck)

    chat.press(f"rv:{card.pk}:0:{Rating.HARD}:0")
    chat.press(f"rv:{card.pk}:0:{Rating.HARD}:0")

    assert ReviewLog.objects.count() == 1
    assert chat.notices == [None, "This card was already graded."]


def test_a_double_tap_on_show_answer_is_harmless(chat, deck, telegram):
    card = due_card(deck)
    chat.press(f"rv:{card.pk}:0:show:0")
    telegram.fail(400, description="Bad Request: message is not modified", method="editMessageText")

    chat.press(f"rv:{card.pk}:0:show:0")

    assert chat.notices == [None, None]


@pytest.mark.parametrize("data", ["rv:abc", "rv:1:0:5:0", "rv:1:0:show", "other", ""])
def test_a_malformed_button_is_answered_and_ignored(chat, deck, data):
    due_card(deck)

    chat.press(data)

    assert chat.edits == []
    assert chat.notices == [None]


def test_the_buttons_speak_the_learners_language(chat, deck, alice):
    User.objects.filter(pk=alice.pk).update(language_code="ru")
    chat.user.language_code = "ru"
    card = due_card(deck)

    chat.press(f"rv:{card.pk}:0:show:0")
    chat.press(f"rv:{card.pk}:0:{Rating.GOOD}:0")
    chat.press(f"rv:{card.pk}:0:{Rating.GOOD}:0")

    assert [b["text"].split(" · ")[0] for b in chat.buttons(0)] == [
        "Снова",
        "Трудно",
        "Хорошо",
        "Легко",
    ]
    assert chat.edits[1]["text"] == "Повторена 1 карточка. На сегодня всё!"
    assert chat.notices[-1] == "Эта карточка уже оценена."


def test_callback_data_fits_telegrams_64_bytes(deck):
    phrase = Phrase(deck=deck, front="the largest ids")
    card = Card(pk=2**63 - 1, version=2**31 - 1, deck=deck, phrase=phrase)

    data = front_message(card, graded=99)["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    assert data == f"rv:{2**63 - 1}:{2**31 - 1}:show:99"
    assert len(data.encode()) <= 64


# Long cards and failures: the message fits Telegram's limits, and every tap is answered


@pytest.mark.parametrize("character", ["x", "&", "😀"])  # an emoji: two UTF-16 code units
def test_show_answer_for_a_card_at_the_field_maximums_is_shortened_with_a_button_to_the_card(
    chat, alice, character
):
    deck = Deck.objects.create(owner=alice, name="D" * 100)
    card = due_card(
        deck,
        front=character * 1000,
        back=character * 1000,
        example=character * 2000,
        notes=character * 2000,
    )

    chat.press(f"rv:{card.pk}:{card.version}:show:0")

    assert chat.notices == [None]  # answered, and Telegram took the edit
    [edit] = chat.edits
    text = visible_text(edit["text"], edit["parse_mode"])
    assert text.startswith("D" * 100 + "\n" + character * 1000 + "\n")
    assert text.endswith("…")
    assert len([b for b in chat.buttons() if "callback_data" in b]) == 4
    assert chat.buttons()[-1] == {
        "text": "Open the card",
        "web_app": {"url": f"https://pw.example.com/phrases/{card.phrase_id}/edit/"},
    }


def test_html_entities_count_as_the_character_they_stand_for_so_a_card_that_fits_goes_whole(
    chat, alice
):
    deck = Deck.objects.create(owner=alice, name="D")
    card = due_card(deck, front="&" * 1000, back="<" * 1000, example=">" * 2000)

    chat.press(f"rv:{card.pk}:{card.version}:show:0")

    assert chat.notices == [None]
    [edit] = chat.edits
    assert len(edit["text"]) > TEXT_LIMIT  # escaped, but Telegram counts what it shows
    text = visible_text(edit["text"], edit["parse_mode"])
    assert "…" not in text
    assert ">" * 2000 in text
    assert all("web_app" not in b for b in chat.buttons())


@pytest.mark.parametrize(
    ("status", "description"),
    [(400, "Bad Request: message to edit not found"), (500, "Internal Server Error")],
)
def test_a_tap_is_answered_even_when_the_message_cannot_be_edited(
    chat, deck, telegram, status, description
):
    card = due_card(deck)
    telegram.fail(status, method="editMessageText", description=description)

    chat.press(f"rv:{card.pk}:0:show:0")
    chat.press(f"rv:{card.pk}:0:{Rating.GOOD}:0")

    assert chat.notices == ["Something went wrong. Please try again."] * 2
    card.refresh_from_db()
    assert card.version == 0  # the grade that could not be shown was rolled back
    assert not ReviewLog.objects.exists()


def test_a_production_card_asks_with_its_meaning_and_answers_with_the_phrase(deck, alice):
    card = make_card(deck=deck, front="hola", back="hello", direction="production")
    question = front_message(card)["text"]
    assert "hello" in question and "hola" not in question
    answer = answer_message(card, learner=alice, graded=0, now=timezone.now())["text"]
    assert answer.index("hello") < answer.index("hola")


def test_the_lapse_that_makes_a_leech_suspends_it_and_the_chat_says_so(chat, deck):
    card = due_card(deck, front="<desconocido>", lapses=7)
    other = due_card(deck, front="dos")

    chat.press(f"rv:{card.pk}:0:{Rating.AGAIN}:0")

    card.refresh_from_db()
    assert (card.lapses, card.suspended) == (8, True)
    assert Phrase.objects.get(pk=card.phrase_id).tags == "leech"
    text = chat.edits[-1]["text"]
    assert text.startswith("“&lt;desconocido&gt;” is a leech: forgotten too often, it is suspended")
    assert "dos" in text
    # Said once: the next grade's message says nothing of it.
    chat.press(f"rv:{other.pk}:0:{Rating.GOOD}:1")
    assert "leech" not in chat.edits[-1]["text"]


def test_a_leech_in_a_deck_that_only_tags_stays_and_the_chat_says_so(chat, deck):
    deck.leech_action = "tag"
    deck.save()
    card = due_card(deck, front="uno", lapses=7)

    chat.press(f"rv:{card.pk}:0:{Rating.AGAIN}:0")

    card.refresh_from_db()
    assert not card.suspended
    assert chat.edits[-1]["text"].startswith("“uno” is a leech: forgotten too often, it is tagged")
