"""Review in the bot's chat: one message that shows a card, then its answer, then the next card.

Buttons carry `rv:<card id>:<version>:<show|rating>:<graded so far>` (well under Telegram's 64
bytes), so no state is kept between taps: the card is fetched through the learner, and a grade
goes through `Card.review(version=...)` exactly as in the Mini App, so a stale or foreign button
changes nothing.

Telegram refuses a text longer than 4,096 characters (counted as it shows them: an HTML
entity is one character), and a card at its field maximums comes to more: the fields are
shortened, the last first, with "…", and a button opens the whole card in the Mini App.
"""

import re
from datetime import datetime
from html import escape

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import User
from bot.telegram_api import BotAPI, TelegramError
from cards.day import LearnerDay
from cards.models import Card, Direction, StaleReview
from cards.scheduling import RATING_LABELS, format_interval

BATCH = 5  # cards graded in the chat before we suggest the app
CALLBACK_DATA = re.compile(r"rv:([0-9]{1,19}):([0-9]{1,10}):(show|[1-4]):([0-9]{1,2})")
TEXT_LIMIT = 4096  # a message's text, in characters after entity parsing
ELLIPSIS = "…"


def web_app_button(text: str, url_name: str, *args: object) -> dict:
    """A button that opens the Mini App on one of its pages (a URL name and its arguments).

    web_app buttons work in the private chat with the bot, the only chat we write to.
    """
    return {"text": text, "web_app": {"url": settings.PUBLIC_URL + reverse(url_name, args=args)}}


def _callback_data(card: Card, action: str | int, graded: int) -> str:
    return f"rv:{card.pk}:{card.version}:{action}:{graded}"


def telegram_length(text: str) -> int:
    """A text's length as Telegram counts its entities, in UTF-16 code units: an emoji outside
    the Basic Multilingual Plane counts two, so a text that fits here fits Telegram."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, budget: int) -> str:
    """The longest start of `text` that, with "…" after it, takes at most `budget`."""
    kept, used = [], telegram_length(ELLIPSIS)
    for character in text:
        used += telegram_length(character)
        if used > budget:
            break
        kept.append(character)
    return "".join(kept).rstrip() + ELLIPSIS if kept else ""


def html_lines(lines: list[tuple[str, str]]) -> tuple[str, bool]:
    """(The HTML text, whether it was shortened) of lines given as (plain text, tag or "").

    Plain texts are escaped here and measured before escaping, as Telegram measures them
    after parsing; while they are too long together, the last still whole is cut.
    """
    texts = [text for text, _tag in lines]
    excess = sum(map(telegram_length, texts)) + len(texts) - 1 - TEXT_LIMIT
    shortened = excess > 0
    for index in reversed(range(len(texts))):
        if excess <= 0:
            break
        length = telegram_length(texts[index])
        texts[index] = _cut(texts[index], length - excess)
        excess -= length - telegram_length(texts[index])
    html = [
        f"<{tag}>{escape(text)}</{tag}>" if tag and text else escape(text)
        for text, (_text, tag) in zip(texts, lines, strict=True)
    ]
    # A field cut to nothing leaves blank lines at the end, which Telegram would trim anyway.
    return "\n".join(html).rstrip("\n"), shortened


def _card_button(card: Card) -> dict:
    """Opens the whole card in the Mini App, for a message that had to shorten it."""
    return web_app_button(gettext("Open the card"), "phrase_edit", card.phrase_id)


def _prompt(card: Card) -> str:
    """What the card asks: the phrase, or for a production card its meaning. A listening card
    has no sound in a chat, so it asks its meaning too."""
    return card.phrase.front if card.direction == Direction.RECOGNITION else card.phrase.back


def front_message(card: Card, *, graded: int = 0, header: str = "") -> dict:
    """The card's front with "Show answer": for a reminder and after each grade."""
    lines = [(header, ""), ("", "")] if header else []
    lines += [(card.deck.name, "i"), (_prompt(card), "b")]
    text, shortened = html_lines(lines)
    show = {"text": gettext("Show answer"), "callback_data": _callback_data(card, "show", graded)}
    keyboard = [[show], [web_app_button(gettext("Open the app"), "review")]]
    if shortened:
        keyboard.append([_card_button(card)])
    return {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": keyboard}}


def answer_message(card: Card, *, learner: User, graded: int, now: datetime) -> dict:
    phrase = card.phrase
    answer = phrase.back if card.direction == Direction.RECOGNITION else phrase.front
    lines = [(card.deck.name, "i"), (_prompt(card), "b"), ("", ""), (answer, "")]
    if phrase.example:
        lines += [("", ""), (phrase.example, "i")]
    text, shortened = html_lines(lines)
    buttons = [
        {
            "text": f"{RATING_LABELS[rating]} · {format_interval(due - now)}",
            "callback_data": _callback_data(card, rating, graded),
        }
        for rating, due in card.preview(learner=learner, now=now).items()
    ]
    keyboard = [buttons[:2], buttons[2:]]
    if shortened:
        keyboard.append([_card_button(card)])
    return {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": keyboard}}


def _finished_message(graded: int, *, more: bool, header: str = "") -> dict:
    reviewed = ngettext("%(count)d card reviewed.", "%(count)d cards reviewed.", graded) % {
        "count": graded
    }
    if more:
        text = " ".join([reviewed, gettext("More cards are waiting in the app.")])
        button = web_app_button(gettext("Continue in the app"), "review")
    else:
        text = " ".join([reviewed, gettext("All done for now!")])
        button = web_app_button(gettext("Open the app"), "home")
    text = f"{header}\n\n{text}" if header else text
    return {"text": text, "reply_markup": {"inline_keyboard": [[button]]}}


def leech_notice(card: Card) -> str:
    """What the message after a grade that made the card a leech says first (plain text)."""
    front = card.phrase.front if len(card.phrase.front) <= 60 else card.phrase.front[:59] + ELLIPSIS
    if card.suspended:
        text = gettext(
            "“%(front)s” is a leech: forgotten too often, it is suspended and tagged “leech”."
        )
    else:
        text = gettext("“%(front)s” is a leech: forgotten too often, it is tagged “leech”.")
    return text % {"front": front}


def _next_message(user: User, graded: int, now: datetime, *, header: str = "") -> dict:
    card = LearnerDay(user, now).queue().first()
    if card is None or graded >= BATCH:
        return _finished_message(graded, more=card is not None, header=header)
    return front_message(card, graded=graded, header=header)


def review_callback(
    user: User, data: str, *, now: datetime | None = None
) -> tuple[str, dict | None]:
    """Handle a review button: (a notice for answerCallbackQuery, the message's new content).

    A button for a card that is not the learner's, or for a version already graded, changes
    nothing and says so.
    """
    match = CALLBACK_DATA.fullmatch(data)
    if match is None:
        return "", None
    card_id, version, action, graded = match.groups()
    version, graded = int(version), int(graded)
    cards = Card.objects.for_user(user).select_related("deck", "phrase")
    card = cards.filter(pk=card_id).first()
    if card is None:
        return gettext("This card is no longer in your decks."), None
    now = now or timezone.now()
    if action == "show":
        if card.version != version:
            return gettext("This card was already graded."), None
        return "", answer_message(card, learner=user, graded=graded, now=now)
    try:
        log = card.review(int(action), learner=user, now=now, version=version)
    except StaleReview:
        return gettext("This card was already graded."), None
    # The same rule as in the Mini App (Card.review), said once, atop the next message.
    header = leech_notice(card) if log.made_leech else ""
    return "", _next_message(user, graded + 1, now, header=header)


def edit_message(api: BotAPI, *, chat_id: int, message_id: int, content: dict) -> None:
    try:
        api.call("editMessageText", chat_id=chat_id, message_id=message_id, **content)
    except TelegramError as error:
        # A double tap on "Show answer" asks for the same content twice: nothing to do.
        if "message is not modified" not in error.description:
            raise
