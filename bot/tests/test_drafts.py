"""Cards from messages: the bot reads phrases in the learner's messages and keeps them as
drafts until the learner adds them, in the chat or in the Mini App."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bot.drafts import MAX_DRAFTS, split_line
from bot.models import CardDraft
from bot.tests.conftest import post_update
from bot.tests.fake_telegram import callback_update, message_update, sender, visible_text
from cards.models import Card, Deck, Phrase
from conftest import htmx, make_card, sign_for

pytestmark = pytest.mark.django_db


class Chat:
    """alice's chat with the bot: messages and button presses, each a new update."""

    def __init__(self, client, telegram, user):
        self.client, self.telegram, self.user = client, telegram, user
        self.update_id = 200

    def post(self, update: dict):
        post_update(self.client, update)

    def send(self, text: str | None, **fields) -> dict:
        self.update_id += 1
        update = message_update(self.update_id, text, sender(self.user))
        update["message"].update(fields)
        self.post(update)
        return update

    def press(self, data: str):
        self.update_id += 1
        self.post(callback_update(self.update_id, data, sender(self.user)))

    @property
    def answer(self) -> dict:
        return self.telegram.calls("sendMessage")[-1]

    @property
    def edit(self) -> dict:
        return self.telegram.calls("editMessageText")[-1]

    @property
    def notices(self) -> list:
        return [call.get("text") for call in self.telegram.calls("answerCallbackQuery")]


def buttons(message: dict) -> list[dict]:
    return [button for row in message["reply_markup"]["inline_keyboard"] for button in row]


def shown(message: dict) -> str:
    return visible_text(message["text"], message.get("parse_mode"))


@pytest.fixture
def chat(client, telegram, alice):
    return Chat(client, telegram, alice)


@pytest.fixture
def decks(alice):
    """alice's decks: she added to "Italian" last, though "Spanish" is newer."""
    italian = Deck.objects.create(
        owner=alice, name="Italian", directions=["recognition", "production"]
    )
    spanish = Deck.objects.create(owner=alice, name="Spanish")
    make_card(deck=spanish, front="hola", back="hello")
    make_card(deck=italian, front="grazie", back="thanks")
    Phrase.objects.filter(deck=spanish).update(created=timezone.now() - timedelta(days=1))
    return italian, spanish


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ciao — hello", ("ciao", "hello")),
        ("ciao – hello", ("ciao", "hello")),
        ("ciao - hello", ("ciao", "hello")),
        ("ciao: hello", ("ciao", "hello")),
        ("ciao = hello", ("ciao", "hello")),
        ("ciao\thello", ("ciao", "hello")),
        ("well-known — famous", ("well-known", "famous")),
        ("well-known", ("well-known", "")),
        ("a che ora? — at what time: exactly", ("a che ora?", "at what time: exactly")),
        ("  ciao  ", ("ciao", "")),
    ],
)
def test_a_line_is_split_into_phrase_and_meaning(line, expected):
    assert split_line(line) == expected


def test_lines_become_drafts_and_the_bot_says_what_it_read_with_the_last_used_deck_first(
    chat, decks
):
    italian, spanish = decks

    update = chat.send("ciao — hello\n\nbuongiorno: good morning\narrivederci")

    drafts = list(CardDraft.objects.order_by("id"))
    assert [(d.front, d.back, d.deck) for d in drafts] == [
        ("ciao", "hello", italian),
        ("buongiorno", "good morning", italian),
        ("arrivederci", "", italian),
    ]
    assert {d.message_id for d in drafts} == {update["message"]["message_id"]}
    text = shown(chat.answer)
    assert "I read 3 phrases:" in text
    assert "Deck: Italian" in text
    assert "1. ciao — hello" in text
    assert "3. arrivederci — (no meaning yet: add it in the app)" in text
    message_id = update["message"]["message_id"]
    deck_row, add_row, edit_row = chat.answer["reply_markup"]["inline_keyboard"]
    assert deck_row == [
        {"text": "✓ Italian", "callback_data": f"dr:{message_id}:d{italian.pk}"},
        {"text": "Spanish", "callback_data": f"dr:{message_id}:d{spanish.pk}"},
    ]
    assert add_row == [{"text": "Add 2 phrases", "callback_data": f"dr:{message_id}:add"}]
    assert edit_row == [
        {"text": "Edit in the app", "web_app": {"url": "https://pw.example.com/drafts/"}}
    ]
    assert Phrase.objects.count() == 2  # nothing added before the learner confirms


def test_add_makes_phrases_with_the_decks_directions_and_a_second_tap_adds_nothing(chat, decks):
    italian, _spanish = decks
    message_id = chat.send("ciao — hello\narrivederci")["message"]["message_id"]

    chat.press(f"dr:{message_id}:add")
    chat.press(f"dr:{message_id}:add")

    phrase = Phrase.objects.get(front="ciao")
    assert (phrase.deck, phrase.back, phrase.owner) == (italian, "hello", italian.owner)
    assert sorted(Card.objects.filter(phrase=phrase).values_list("direction", flat=True)) == [
        "production",
        "recognition",
    ]
    assert (
        Phrase.objects.count() == 3
    )  # the two of the fixture and ciao: arrivederci has no meaning
    draft = CardDraft.objects.get(front="ciao")
    assert draft.added is not None
    assert "Added 1 phrase to “Italian”." in shown(chat.edit)
    assert "1. arrivederci" in shown(chat.edit)
    assert chat.notices == [None, "These phrases were already added."]
    assert len(chat.telegram.calls("editMessageText")) == 1


def test_a_redelivered_message_makes_its_drafts_once(chat, decks):
    update = chat.send("ciao — hello")

    chat.post(update)

    assert CardDraft.objects.count() == 1
    assert len(chat.telegram.calls("sendMessage")) == 1


def test_picking_a_deck_moves_the_drafts_to_it(chat, decks):
    _italian, spanish = decks
    message_id = chat.send("hola — hello\nadiós — bye")["message"]["message_id"]

    chat.press(f"dr:{message_id}:d{spanish.pk}")
    chat.press(f"dr:{message_id}:add")

    assert set(CardDraft.objects.values_list("deck", flat=True)) == {spanish.pk}
    assert Phrase.objects.filter(deck=spanish, front__in=["hola", "adiós"]).count() == 3
    first_edit = chat.telegram.calls("editMessageText")[0]
    assert "Deck: Spanish" in shown(first_edit)
    assert buttons(first_edit)[1]["text"] == "✓ Spanish"


def test_another_learners_deck_or_drafts_change_nothing(chat, decks, bob):
    bobs_deck = Deck.objects.create(owner=bob, name="Bob's")
    message_id = chat.send("ciao — hello")["message"]["message_id"]
    CardDraft.objects.create(owner=bob, message_id=7, front="x", back="y", deck=bobs_deck)

    chat.press(f"dr:{message_id}:d{bobs_deck.pk}")
    chat.press("dr:7:add")

    assert CardDraft.objects.get(owner=chat.user).deck == decks[0]
    assert not Phrase.objects.filter(deck=bobs_deck).exists()
    assert chat.notices == ["This deck is no longer yours.", "These phrases were already added."]


def test_a_learner_without_decks_is_told_to_make_one_and_gets_no_add_button(chat):
    chat.send("ciao — hello")

    assert "You have no deck yet: make one in the app." in shown(chat.answer)
    assert [button["text"] for button in buttons(chat.answer)] == ["Edit in the app"]


def test_a_forwarded_message_is_one_draft_with_its_channel_in_the_notes(chat, decks):
    origin = {"type": "channel", "date": 1, "message_id": 5, "chat": {
        "id": -100123, "type": "channel", "title": "Italiano ogni giorno"
    }}  # fmt: skip

    chat.send("In bocca al lupo!\nCrepi!", forward_origin=origin)

    [draft] = CardDraft.objects.all()
    assert (draft.front, draft.back) == ("In bocca al lupo!\nCrepi!", "")
    assert draft.notes == "From Italiano ogni giorno"


def test_a_forward_from_a_person_names_them(chat, decks):
    origin = {"type": "user", "date": 1, "sender_user": {
        "id": 9, "is_bot": False, "first_name": "Giulia", "last_name": "Rossi"
    }}  # fmt: skip

    chat.send("Magari!", forward_origin=origin)

    assert CardDraft.objects.get().notes == "From Giulia Rossi"


def test_a_quote_is_the_front_and_the_message_its_meaning(chat, decks):
    chat.send(
        "if only",
        quote={"text": "Magari", "position": 0},
        external_reply={"origin": {"type": "hidden_user", "date": 1, "sender_user_name": "Marco"}},
    )

    [draft] = CardDraft.objects.all()
    assert (draft.front, draft.back, draft.notes) == ("Magari", "if only", "From Marco")


def test_a_command_is_not_a_draft(chat, decks):
    chat.send("/help")

    assert not CardDraft.objects.exists()
    assert "/stats" in chat.answer["text"]


def test_the_learners_text_is_escaped(chat, decks):
    chat.send("<b>ciao</b> & co — <i>hello</i>")

    assert "&lt;b&gt;ciao&lt;/b&gt; &amp; co" in chat.answer["text"]
    assert "1. <b>ciao</b> & co — <i>hello</i>" in shown(chat.answer)


def test_a_long_message_keeps_the_first_lines_and_says_how_many_were_left_out(chat, decks):
    lines = [f"{'parola' * 30} {n} — {'word' * 40}" for n in range(MAX_DRAFTS + 3)]

    chat.send("\n".join(lines))

    assert CardDraft.objects.count() == MAX_DRAFTS
    # Telegram's 4,096 characters are checked on every request (bot_api_checks).
    assert "3 more lines were left out: send them again." in shown(chat.answer)


def test_the_answer_speaks_the_learners_language(chat, decks, alice):
    alice.language_code = "ru"
    alice.save()

    chat.send("ciao — привет")

    assert "Колода: Italian" in shown(chat.answer)


# The drafts screen in the Mini App


@pytest.fixture
def draft(alice, decks):
    return CardDraft.objects.create(owner=alice, message_id=1, front="ciao", back="", deck=decks[0])


def test_the_drafts_screen_lists_the_learners_drafts_only(
    as_alice, draft, bob, django_assert_max_num_queries
):
    CardDraft.objects.create(owner=bob, message_id=1, front="bobs draft")
    for n in range(10):
        CardDraft.objects.create(owner=draft.owner, message_id=2, front=f"parola {n}")

    with django_assert_max_num_queries(8):
        response = as_alice.get("/drafts/", **htmx())

    assert response.status_code == 200
    assert b'value="ciao"' in response.content
    assert b"parola 9" in response.content
    assert b"bobs draft" not in response.content


def test_a_draft_edited_in_the_app_is_added_once(as_alice, draft, decks):
    _italian, spanish = decks
    data = {
        "front": "ciao!",
        "back": "hi",
        "example": "Ciao, Marco!",
        "notes": "",
        "deck": spanish.pk,
    }

    first = as_alice.post(f"/drafts/{draft.pk}/add/", data, **htmx())
    second = as_alice.post(f"/drafts/{draft.pk}/add/", data, **htmx())

    assert first.status_code == second.status_code == 200
    phrase = Phrase.objects.get(front="ciao!")
    assert (phrase.deck, phrase.back, phrase.example) == (spanish, "hi", "Ciao, Marco!")
    assert Phrase.objects.filter(front="ciao!").count() == 1
    draft.refresh_from_db()
    assert (draft.deck, draft.added is not None) == (spanish, True)
    assert "Added to “Spanish”." in second.content.decode()


def test_a_draft_without_a_meaning_or_with_a_foreign_deck_is_a_form_error(as_alice, draft, bob):
    bobs_deck = Deck.objects.create(owner=bob, name="Bob's")

    response = as_alice.post(
        f"/drafts/{draft.pk}/add/", {"front": "ciao", "back": "", "deck": bobs_deck.pk}, **htmx()
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "Choose one of your decks." in response.content.decode()
    assert not Phrase.objects.filter(front="ciao").exists()


def test_another_learners_draft_is_not_found(client, draft, bob):
    headers = {"HTTP_AUTHORIZATION": f"tma {sign_for(bob)}", **htmx()}

    add = client.post(f"/drafts/{draft.pk}/add/", {"front": "x", "back": "y"}, **headers)
    discard = client.post(f"/drafts/{draft.pk}/discard/", **headers)

    assert add.status_code == discard.status_code == 404
    assert CardDraft.objects.filter(pk=draft.pk).exists()


def test_a_draft_can_be_discarded(as_alice, draft):
    response = as_alice.post(f"/drafts/{draft.pk}/discard/", **htmx())

    assert response.status_code == 200
    assert not CardDraft.objects.exists()
