"""Review in the bot's chat: one message that shows a card, then its answer, then the next card.

Buttons carry `rv:<card id>:<version>:<show|rating>:<graded so far>` (well under Telegram's 64
bytes), so no state is kept between taps: the card is fetched through the learner, and a grade
goes through `Card.review(version=...)` exactly as in the Mini App, so a stale or foreign button
changes nothing.
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
from cards.models import Card, StaleReview
from cards.scheduling import RATING_LABELS, format_interval

BATCH = 5  # cards graded in the chat before we suggest the app
CALLBACK_DATA = re.compile(r"rv:([0-9]{1,19}):([0-9]{1,10}):(show|[1-4]):([0-9]{1,2})")


def web_app_button(text: str, url_name: str, *args: object) -> dict:
    """A button that opens the Mini App on one of its pages (a URL name and its arguments).

    web_app buttons work in the private chat with the bot, the only chat we write to.
    """
    return {"text": text, "web_app": {"url": settings.PUBLIC_URL + reverse(url_name, args=args)}}


def _callback_data(card: Card, action: str | int, graded: int) -> str:
    return f"rv:{card.pk}:{card.version}:{action}:{graded}"


def front_message(card: Card, *, graded: int = 0, header: str = "") -> dict:
    """The card's front with "Show answer": for a reminder and after each grade."""
    lines = [header, ""] if header else []
    lines += [f"<i>{escape(card.deck.name)}</i>", f"<b>{escape(card.front)}</b>"]
    show = {"text": gettext("Show answer"), "callback_data": _callback_data(card, "show", graded)}
    return {
        "text": "\n".join(lines),
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [[show], [web_app_button(gettext("Open the app"), "review")]]
        },
    }


def answer_message(card: Card, *, learner: User, graded: int, now: datetime) -> dict:
    lines = [
        f"<i>{escape(card.deck.name)}</i>",
        f"<b>{escape(card.front)}</b>",
        "",
        escape(card.back),
    ]
    if card.example:
        lines += ["", f"<i>{escape(card.example)}</i>"]
    buttons = [
        {
            "text": f"{RATING_LABELS[rating]} · {format_interval(due - now)}",
            "callback_data": _callback_data(card, rating, graded),
        }
        for rating, due in card.preview(learner=learner, now=now).items()
    ]
    return {
        "text": "\n".join(lines),
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [buttons[:2], buttons[2:]]},
    }


def _finished_message(graded: int, *, more: bool) -> dict:
    reviewed = ngettext("%(count)d card reviewed.", "%(count)d cards reviewed.", graded) % {
        "count": graded
    }
    if more:
        text = " ".join([reviewed, gettext("More cards are waiting in the app.")])
        button = web_app_button(gettext("Continue in the app"), "review")
    else:
        text = " ".join([reviewed, gettext("All done for now!")])
        button = web_app_button(gettext("Open the app"), "home")
    return {"text": text, "reply_markup": {"inline_keyboard": [[button]]}}


def _next_message(user: User, graded: int, now: datetime) -> dict:
    card = LearnerDay(user, now).queue().first()
    if card is None or graded >= BATCH:
        return _finished_message(graded, more=card is not None)
    return front_message(card, graded=graded)


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
    card = Card.objects.for_user(user).select_related("deck").filter(pk=card_id).first()
    if card is None:
        return gettext("This card is no longer in your decks."), None
    now = now or timezone.now()
    if action == "show":
        if card.version != version:
            return gettext("This card was already graded."), None
        return "", answer_message(card, learner=user, graded=graded, now=now)
    try:
        card.review(int(action), learner=user, now=now, version=version)
    except StaleReview:
        return gettext("This card was already graded."), None
    return "", _next_message(user, graded + 1, now)


def edit_message(api: BotAPI, *, chat_id: int, message_id: int, content: dict) -> None:
    try:
        api.call("editMessageText", chat_id=chat_id, message_id=message_id, **content)
    except TelegramError as error:
        # A double tap on "Show answer" asks for the same content twice: nothing to do.
        if "message is not modified" not in error.description:
            raise
