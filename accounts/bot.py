"""What the bot does with the updates Telegram sends to the webhook.

Only the private chat with the bot counts: that is where a learner starts the bot, where
web_app buttons work, and where reminders go. Anything else (group messages, unknown update
types, malformed fields) is ignored quietly: Telegram would redeliver an update we fail on.
"""

import dataclasses
import logging
import re
from html import escape

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import chat_review
from accounts.chat_review import web_app_button
from accounts.initdata import TelegramUser
from accounts.models import ProcessedUpdate, User
from accounts.services import user_from_telegram
from accounts.telegram_api import BotBlocked, TelegramError, bot_api
from cards.glance import streak_days
from cards.models import Card, DailyProgress

logger = logging.getLogger(__name__)

SHARED_DECK = re.compile(r"deck_([A-Za-z0-9_-]{1,59})")
# Shown in Telegram's command menu (setup_bot) and by /help, in each interface language.
COMMANDS = {
    "start": _("Open PhraseWeaver"),
    "stats": _("Today's progress"),
    "remind": _("Turn daily reminders on or off"),
    "help": _("What this bot can do"),
}


def process_update(update) -> None:
    """Handle one update exactly once, however often Telegram delivers it."""
    if not isinstance(update, dict):
        return
    update_id = update.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < 2**63:
        return
    if isinstance(update.get("message"), dict):
        handler, payload = _on_message, update["message"]
    elif isinstance(update.get("callback_query"), dict):
        handler, payload = _on_callback_query, update["callback_query"]
    else:
        return
    # Webhook requests must answer quickly: short timeouts, few retries, no long waits.
    api = bot_api(timeout=3, retries=1, max_retry_after=3)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ProcessedUpdate.objects.create(update_id=update_id)
            except IntegrityError:
                logger.info("Telegram update %d was redelivered; skipped", update_id)
                return
            handler(payload, api)
    except BotBlocked:
        # Our answer went nowhere; the handling was rolled back with the update's record.
        sender_id = _sender_id(payload)
        if type(sender_id) is int:
            User.objects.filter(telegram_id=sender_id).update(bot_blocked=True)
    except TelegramError as error:
        logger.warning("Telegram update %d: could not answer: %s", update_id, error)


def _sender_id(payload: dict):
    sender = payload.get("from")
    return sender.get("id") if isinstance(sender, dict) else None


def _telegram_user(sender) -> TelegramUser | None:
    if not isinstance(sender, dict) or sender.get("is_bot") is not False:
        return None
    uid = sender.get("id")
    if type(uid) is not int or not 0 < uid < 2**63:
        return None

    def text(key: str) -> str:
        value = sender.get(key)
        return value if isinstance(value, str) else ""

    return TelegramUser(
        id=uid,
        first_name=text("first_name"),
        last_name=text("last_name"),
        username=text("username"),
        language_code=text("language_code"),
        is_premium=sender.get("is_premium") is True,
    )


def _learner(sender) -> User | None:
    """The learner behind a message or button press in the bot's chat, created if new."""
    tg = _telegram_user(sender)
    if tg is None:
        return None
    # `from` has no photo and no write-access flag: keep what the Mini App's initData said.
    known = User.objects.filter(telegram_id=tg.id).values_list("photo_url", "allows_write_to_pm")
    photo_url, allows_write_to_pm = known.first() or ("", False)
    user = user_from_telegram(
        dataclasses.replace(tg, photo_url=photo_url, allows_write_to_pm=allows_write_to_pm)
    )
    # Whoever writes to the bot (or presses its buttons) has started it and not blocked it.
    if not user.bot_can_write or user.bot_blocked:
        User.objects.filter(pk=user.pk).update(bot_can_write=True, bot_blocked=False)
        user.bot_can_write, user.bot_blocked = True, False
    return user


def _on_message(message: dict, api) -> None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return
    if type(chat.get("id")) is not int:
        return
    user = _learner(message.get("from"))
    if user is None:
        return
    text = message.get("text")
    if not isinstance(text, str):
        return  # a sticker, or the service message saying we may now write: nothing to say
    word, _space, payload = text.strip().partition(" ")
    command = word.split("@", 1)[0].lower()
    handler = COMMAND_HANDLERS.get(command, _help)
    with translation.override(user.language):
        api.call("sendMessage", chat_id=chat["id"], **handler(user, payload.strip()))


def _start(user: User, payload: str) -> dict:
    shared = SHARED_DECK.fullmatch(payload)
    if shared:
        text = gettext("Someone shared a deck of phrases with you. Open it to add it to yours.")
        button = web_app_button(gettext("Open the shared deck"), f"/shared/{shared[1]}/")
    else:
        text = gettext(
            "Hello, %(name)s! PhraseWeaver helps you remember phrases with flashcards and "
            "spaced repetition. Open the app to make a deck or carry on studying."
        ) % {"name": escape(user.first_name or user.telegram_username or "")}
        button = web_app_button(gettext("Open PhraseWeaver"), "/")
    return {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": [[button]]}}


def _help(user: User, payload: str) -> dict:
    lines = [gettext("PhraseWeaver helps you learn phrases with flashcards."), ""]
    lines += [f"/{name} — {description}" for name, description in COMMANDS.items()]
    button = web_app_button(gettext("Open PhraseWeaver"), "/")
    return {"text": "\n".join(lines), "reply_markup": {"inline_keyboard": [[button]]}}


def _stats(user: User, payload: str) -> dict:
    progress = DailyProgress(user)
    due_today = (
        Card.objects.for_user(user)
        .active()
        .filter(last_review__isnull=False, due__lt=progress.next_day_start)
        .count()
    )
    streak = streak_days(user, progress)
    lines = [
        gettext("Today"),
        gettext("Due today: %(count)d") % {"count": due_today},
        gettext("Reviewed today: %(count)d") % {"count": progress.new_done + progress.reviews_done},
        ngettext("Streak: %(count)d day", "Streak: %(count)d days", streak) % {"count": streak},
    ]
    return {"text": "\n".join(lines)}


def _remind(user: User, payload: str) -> dict:
    wanted = {"on": True, "off": False}.get(payload.lower(), not user.reminders_enabled)
    User.objects.filter(pk=user.pk).update(reminders_enabled=wanted)
    if wanted:
        text = gettext(
            "Reminders are on: when cards are due, I will write at %(hour)02d:00 (%(zone)s). "
            "You can change the hour in the app's settings."
        ) % {"hour": user.reminder_hour, "zone": user.time_zone}
    else:
        text = gettext("Reminders are off. Send /remind to turn them back on.")
    return {"text": text}


COMMAND_HANDLERS = {"/start": _start, "/help": _help, "/stats": _stats, "/remind": _remind}


def _on_callback_query(query: dict, api) -> None:
    query_id = query.get("id")
    user = _learner(query.get("from"))
    if not isinstance(query_id, str) or user is None:
        return
    message = query.get("message")
    message = message if isinstance(message, dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    chat_id, message_id, data = chat.get("id"), message.get("message_id"), query.get("data")
    notice = ""
    # Without the message we could not show what the tap did, so we do not act on it.
    if type(chat_id) is int and type(message_id) is int and isinstance(data, str):
        with translation.override(user.language):
            notice, content = chat_review.review_callback(user, data)
            if content is not None:
                chat_review.edit_message(
                    api, chat_id=chat_id, message_id=message_id, content=content
                )
    # Always answer, or the learner's Telegram shows a spinner on the button.
    api.call("answerCallbackQuery", callback_query_id=query_id, text=notice or None)


def app_link(startapp: str = "") -> str:
    """A link that opens the Mini App directly, anywhere in Telegram."""
    link = f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}/{settings.TELEGRAM_APP_NAME}"
    return f"{link}?startapp={startapp}" if startapp else link
