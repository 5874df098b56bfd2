"""Inline mode: `@bot words` in any chat, answered with the learner's decks and phrases; and the
phrase a receiver opens from such a message."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bot.inline import CACHE_TIME, MAX_RESULTS
from bot.tests.conftest import post_update
from bot.tests.fake_telegram import sender, visible_text
from cards.models import Card, Deck, DeckShare, Phrase
from cards.sharing import deck_share, deck_share_revoke, phrase_start_param
from conftest import htmx, make_card, sign_for

pytestmark = pytest.mark.django_db


def inline_query(client, frm: dict, words: str, *, update_id: int = 1) -> None:
    update = {
        "update_id": update_id,
        "inline_query": {"id": f"iq{update_id}", "from": frm, "query": words, "offset": ""},
    }
    post_update(client, update)


@pytest.fixture
def italian(alice):
    deck = Deck.objects.create(owner=alice, name="Italian", description="Everyday phrases")
    make_card(deck=deck, front="ciao", back="hello", example="Ciao, Marco!")
    make_card(deck=deck, front="grazie", back="thanks")
    deck_share(deck=deck)
    return deck


def startapp(button: dict) -> str:
    url = urlsplit(button["url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "t.me", "/PhraseWeaverBot/study")
    return parse_qs(url.query)["startapp"][0]


def test_a_query_finds_the_learners_decks_and_phrases(client, telegram, alice, italian, bob):
    make_card(deck=Deck.objects.create(owner=bob, name="Italian too"), front="ciao bob")

    inline_query(client, sender(alice), "ital")
    inline_query(client, sender(alice), "CIAO", update_id=2)

    by_deck, by_phrase = telegram.calls("answerInlineQuery")
    assert (by_deck["is_personal"], by_deck["cache_time"]) == (True, CACHE_TIME)
    [deck] = by_deck["results"]
    assert (deck["id"], deck["title"], deck["description"]) == (
        f"d{italian.pk}",
        "Italian",
        "2 phrases",
    )
    content = deck["input_message_content"]
    assert visible_text(content["message_text"], content["parse_mode"]) == (
        "Italian\nEveryday phrases\n2 phrases"
    )
    [[open_deck]] = deck["reply_markup"]["inline_keyboard"]
    assert open_deck["text"] == "Open deck"
    assert startapp(open_deck) == f"deck_{DeckShare.objects.get(deck=italian).token}"
    [phrase] = by_phrase["results"]
    ciao = Phrase.objects.get(front="ciao")
    assert phrase["id"] == f"p{ciao.pk}"
    content = phrase["input_message_content"]
    assert visible_text(content["message_text"], "HTML") == "ciao\nhello\nCiao, Marco!"
    [[add]] = phrase["reply_markup"]["inline_keyboard"]
    assert add["text"] == "Add to my deck"
    assert startapp(add) == phrase_start_param(ciao)


def test_a_deck_is_offered_only_while_the_learner_shares_it(client, telegram, alice, italian):
    Deck.objects.create(owner=alice, name="Italian, private")
    deck_share_revoke(deck=italian)

    inline_query(client, sender(alice), "ital")

    [answer] = telegram.calls("answerInlineQuery")
    assert [result["id"] for result in answer["results"]] == []
    assert not DeckShare.objects.exists()


def test_the_decks_offered_cost_no_query_each(client, telegram, alice):
    def queries_with(decks: int) -> int:
        for n in range(decks):
            deck_share(deck=Deck.objects.create(owner=alice, name=f"Deck {decks}-{n}"))
        with CaptureQueriesContext(connection) as queries:
            inline_query(client, sender(alice), f"Deck {decks}-", update_id=decks)
        return len(queries.captured_queries)

    assert queries_with(1) == queries_with(5)


def test_an_empty_query_offers_the_newest_and_never_more_than_telegram_takes(
    client, telegram, alice, italian, django_assert_max_num_queries
):
    for number in range(MAX_RESULTS + 10):
        make_card(deck=italian, front=f"parola {number}", back="word")

    with django_assert_max_num_queries(20):
        inline_query(client, sender(alice), "")

    [answer] = telegram.calls("answerInlineQuery")
    results = answer["results"]
    assert len(results) == MAX_RESULTS
    assert results[0]["id"] == f"d{italian.pk}"
    assert results[1]["title"] == f"parola {MAX_RESULTS + 9}"


def test_the_learners_text_is_escaped_in_the_message(client, telegram, alice, italian):
    make_card(deck=italian, front="<b>sì</b> & no", back="yes")

    inline_query(client, sender(alice), "no")

    [answer] = telegram.calls("answerInlineQuery")
    text = answer["results"][0]["input_message_content"]["message_text"]
    assert text.startswith("<b>&lt;b&gt;sì&lt;/b&gt; &amp; no</b>")


def test_the_results_speak_the_learners_language(client, telegram, alice, italian):
    User.objects.filter(pk=alice.pk).update(language_code="ru")

    inline_query(client, sender(alice, language_code="ru"), "ital")

    [answer] = telegram.calls("answerInlineQuery")
    [deck] = answer["results"]
    assert deck["description"] == "2 фразы"
    assert deck["reply_markup"]["inline_keyboard"][0][0]["text"] == "Открыть колоду"


def test_someone_who_never_used_the_app_is_offered_to_start_it(client, telegram):
    inline_query(client, sender(id=999, first_name="Zoe"), "ciao")

    [answer] = telegram.calls("answerInlineQuery")
    assert answer["results"] == []
    assert answer["button"] == {"text": "Open PhraseWeaver", "start_parameter": "inline"}
    assert not User.objects.filter(telegram_id=999).exists()


# The receiver's side: the phrase opens in the Mini App, to copy on confirmation


def launch(client, user, start_param):
    auth = f"tma {sign_for(user, start_param=start_param)}"
    return client.get(f"/?tgWebAppStartParam={start_param}", HTTP_AUTHORIZATION=auth, **htmx())


@pytest.fixture
def ciao(italian):
    return Phrase.objects.get(front="ciao")


def as_user(client, user):
    client.defaults.update({"HTTP_AUTHORIZATION": f"tma {sign_for(user)}"})
    return client


def test_the_phrases_link_opens_it_in_the_mini_app(client, bob, ciao):
    param = phrase_start_param(ciao)

    response = launch(client, bob, param)

    assert f'"path": "/shared/phrase/{param}/"' in response["HX-Location"]


def test_the_receiver_adds_the_phrase_to_a_deck_of_theirs_once(client, bob, ciao):
    decks = [Deck.objects.create(owner=bob, name=n, directions=["recognition", "production"])
             for n in ("Bob's Italian", "Other")]  # fmt: skip
    url = f"/shared/phrase/{phrase_start_param(ciao)}/"
    client = as_user(client, bob)

    preview = client.get(url, **htmx())
    first = client.post(url, {"deck": decks[0].pk}, **htmx())
    second = client.post(url, {"deck": decks[0].pk}, **htmx())

    assert "Ciao, Marco!" in preview.content.decode()
    assert "Bob&#x27;s Italian" in preview.content.decode()
    assert "Added to “Bob&#x27;s Italian”." in first.content.decode()
    assert "has this phrase already" in second.content.decode()
    copy = Phrase.objects.get(owner=bob)
    assert (copy.deck, copy.front, copy.back, copy.example) == (
        decks[0],
        "ciao",
        "hello",
        "Ciao, Marco!",
    )
    cards = Card.objects.filter(phrase=copy)
    assert sorted(c.direction for c in cards) == ["production", "recognition"]
    assert all(card.last_review is None for card in cards)  # fresh, not the sharer's progress


def test_a_forged_or_foreign_deck_adds_nothing(client, alice, bob, ciao):
    forged = f"phrase_{ciao.pk}_{'A' * 16}"
    Deck.objects.create(owner=bob, name="Mine")
    client = as_user(client, bob)

    missing = client.get(f"/shared/phrase/{forged}/", **htmx())
    foreign = client.post(
        f"/shared/phrase/{phrase_start_param(ciao)}/", {"deck": ciao.deck_id}, **htmx()
    )

    assert missing.status_code == 404
    assert "Choose one of your decks." in foreign.content.decode()
    assert Phrase.objects.filter(owner=bob).count() == 0
    assert Phrase.objects.filter(front="ciao").count() == 1


# The Share screen's message, prepared by the bot for Telegram's own chat picker


def test_the_bot_prepares_the_decks_message_for_any_chat(client, telegram, alice, italian):
    response = as_user(client, alice).post(f"/decks/{italian.pk}/share/prepared/", **htmx())

    assert response.status_code == 200
    assert response.json() == {"id": "prepared1001"}
    [prepared] = telegram.calls("savePreparedInlineMessage")
    assert prepared["user_id"] == alice.telegram_id
    assert prepared["allow_user_chats"] and prepared["allow_group_chats"]
    assert prepared["result"]["title"] == "Italian"
    assert startapp(prepared["result"]["reply_markup"]["inline_keyboard"][0][0]) == (
        f"deck_{DeckShare.objects.get(deck=italian).token}"
    )


def test_another_learners_deck_is_not_prepared(client, telegram, bob, italian):
    response = as_user(client, bob).post(f"/decks/{italian.pk}/share/prepared/", **htmx())

    assert response.status_code == 404
    assert telegram.requests == []


def test_when_telegram_refuses_the_page_is_told_to_use_the_link(client, telegram, alice, italian):
    telegram.fail(400, method="savePreparedInlineMessage")

    response = as_user(client, alice).post(f"/decks/{italian.pk}/share/prepared/", **htmx())

    assert response.status_code == 502
