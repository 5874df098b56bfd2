"""Inline mode: `@<bot> words` in any chat offers the learner's decks and phrases to send.

A deck is sent as a message with an "Open deck" button: the deck's share link (cards.sharing;
offering a deck here makes the link, as the Share screen's button does). A phrase is sent with
its front, back and example and an "Add to my deck" button: a t.me link that opens the Mini App
on the phrase (a signed start parameter, cards.sharing.phrase_start_param), where the receiver
confirms the copy. Such messages land in chats where web_app buttons do not work, so every
button is a plain URL.

Only learners who already use PhraseWeaver get results; anyone else gets a button that starts
the bot. The answer is personal (`is_personal`), in the learner's language, at most
Telegram's 50 results.
"""

from django.conf import settings
from django.db.models import Count, Model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from accounts.models import User
from bot.chat_review import html_lines
from bot.telegram_api import BotAPI
from cards.models import Deck, Phrase
from cards.search import matching
from cards.sharing import mini_app_link, phrase_start_param, start_param_for

MAX_RESULTS = 50  # Telegram's limit
MAX_DECKS = 5
CACHE_TIME = 30  # seconds Telegram may keep the answer for the same learner and words
START_PARAMETER = "inline"  # /start inline in the bot's chat: the greeting


def on_inline_query(query: dict, api: BotAPI) -> None:
    query_id, words, sender = query.get("id"), query.get("query"), query.get("from")
    if not isinstance(query_id, str) or not isinstance(sender, dict):
        return
    sender_id = sender.get("id")
    user = User.objects.filter(telegram_id=sender_id).first() if type(sender_id) is int else None
    words = words.strip() if isinstance(words, str) else ""
    with translation.override(user.language if user else None):
        results = inline_results(user, words) if user else []
        api.call(
            "answerInlineQuery",
            inline_query_id=query_id,
            results=results,
            cache_time=CACHE_TIME,
            is_personal=True,
            button=None
            if results
            else {"text": gettext("Open PhraseWeaver"), "start_parameter": START_PARAMETER},
        )


def inline_results(user: User, words: str) -> list[dict]:
    """The shared decks whose name holds the words, then the phrases that hold them
    (cards.search); the newest of each without words. Only decks the learner has shared: a
    search must not create a share link, nor bring back one the learner revoked."""
    decks = (
        Deck.objects.for_user(user)
        .filter(share__isnull=False)
        .select_related("share")
        .annotate(phrase_count=Count("phrases"))
    )
    for word in words.split():
        decks = decks.filter(name__icontains=word)
    phrases = matching(Phrase.objects.for_user(user), words).order_by("-id")
    found_decks = list(decks.order_by("-id")[:MAX_DECKS])
    found_phrases = list(phrases[: MAX_RESULTS - len(found_decks)])
    return [deck_result(deck, deck.share.token) for deck in found_decks] + [
        phrase_result(phrase) for phrase in found_phrases
    ]


def _url_button(text: str, url: str) -> dict:
    return {"text": text, "url": url}


def _article(kind: str, instance: Model, text: str, buttons: list[dict], **fields: str) -> dict:
    result = {
        "type": "article",
        "id": f"{kind}{instance.pk}",
        "input_message_content": {"message_text": text, "parse_mode": "HTML"},
        **fields,
    }
    if buttons:
        result["reply_markup"] = {"inline_keyboard": [buttons]}
    return result


def deck_link(token: str) -> str:
    """The share link of the deck shared with `token`."""
    return mini_app_link(start_param_for(token)) or settings.PUBLIC_URL + reverse(
        "shared_deck", args=[token]
    )


def deck_result(deck: Deck, token: str) -> dict:
    """An inline result (an article) that sends a deck with its "Open deck" button: the link
    of its share `token`."""
    count = getattr(deck, "phrase_count", None)
    if count is None:
        count = deck.phrases.count()
    counted = ngettext("%(count)d phrase", "%(count)d phrases", count) % {"count": count}
    lines = [(deck.name, "b"), (deck.description, ""), (counted, "i")]
    text, _shortened = html_lines([line for line in lines if line[0]])
    button = _url_button(gettext("Open deck"), deck_link(token))
    return _article("d", deck, text, [button], title=deck.name, description=counted)


def phrase_result(phrase: Phrase) -> dict:
    """An inline result that sends a phrase with a button that adds it to the receiver's deck."""
    lines = [(phrase.front, "b"), (phrase.back, "")]
    if phrase.example:
        lines.append((phrase.example, "i"))
    text, _shortened = html_lines(lines)
    link = mini_app_link(phrase_start_param(phrase))
    buttons = [_url_button(gettext("Add to my deck"), link)] if link else []
    return _article(
        "p", phrase, text, buttons, title=phrase.front[:200], description=phrase.back[:200]
    )
