"""What the bot does with the updates Telegram sends to the webhook.

Messages count only in the private chat with the bot: that is where a learner starts the bot,
where web_app buttons work, and where reminders go (an inline query, bot.inline, may come from
any chat). Anything else (group messages, unknown update types, malformed fields) is ignored
quietly: Telegram would redeliver an update we fail on.
"""

import dataclasses
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext

from accounts import initdata
from accounts.initdata import TelegramUser
from accounts.models import User
from accounts.services import user_from_telegram
from bot import chat_review, commands, drafts, files, inline
from bot.models import ProcessedUpdate
from bot.telegram_api import BotAPI, BotBlocked, TelegramError, bot_api

logger = logging.getLogger(__name__)


def process_update(update: object) -> None:
    """Handle one update exactly once, however often Telegram delivers it."""
    if not isinstance(update, dict):
        return
    update_id = update.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < 2**63:
        return
    handler: Callable[[dict, BotAPI], None]
    if isinstance(update.get("message"), dict):
        handler, payload = _on_message, update["message"]
    elif isinstance(update.get("callback_query"), dict):
        handler, payload = _on_callback_query, update["callback_query"]
    elif isinstance(update.get("inline_query"), dict):
        handler, payload = inline.on_inline_query, update["inline_query"]
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


def _object(value: object) -> dict:
    """A JSON object from an update's field, or an empty one if the field is anything else."""
    return value if isinstance(value, dict) else {}


def _sender_id(payload: dict) -> object:
    sender = payload.get("from")
    return sender.get("id") if isinstance(sender, dict) else None


def _telegram_user(sender: object) -> TelegramUser | None:
    """The sender of a message or button press, if it is a person (not a bot) we can key on."""
    if not isinstance(sender, dict) or sender.get("is_bot") is not False:
        return None
    try:
        return initdata.telegram_user(sender)
    except initdata.MalformedUser:
        return None


def _learner(sender: object) -> User | None:
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


def _on_message(message: dict, api: BotAPI) -> None:
    chat = message.get("chat")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return
    if type(chat.get("id")) is not int:
        return
    user = _learner(message.get("from"))
    if user is None:
        return
    if isinstance(message.get("document"), dict):
        files.on_document(user, message, api)  # an .apkg or CSV to import
        return
    text, reply_to = message.get("text"), message.get("reply_to_message")
    # A reply to a review card is its typed answer; a reply to anything else goes on below.
    if (
        isinstance(text, str)
        and isinstance(reply_to, dict)
        and _on_typed_answer(user, message, reply_to, text, api)
    ):
        return
    with translation.override(user.language):
        answer = _answer(user, message)
        if answer is not None:
            api.call("sendMessage", chat_id=chat["id"], **answer)


def _answer(user: User, message: dict) -> dict | None:
    """What the bot says to a message in its chat, by kind of message; None for nothing."""
    text = message.get("text")
    if isinstance(text, str) and text.startswith("/") and "forward_origin" not in message:
        word, _space, payload = text.strip().partition(" ")
        command = word.split("@", 1)[0].lower()
        return commands.HANDLERS.get(command, commands.on_help)(user, payload.strip())
    # Phrases to make cards of: lines of text, a forwarded message, a quote.
    if (answer := drafts.on_message(user, message)) is not None:
        return answer
    if isinstance(text, str):
        return commands.on_help(user, "")
    return None  # a sticker, or the service message saying we may now write: nothing to say


def _on_typed_answer(user: User, message: dict, reply_to: dict, text: str, api: BotAPI) -> bool:
    """Answer a reply to a review card with the phrase typed; False if it was no such reply."""
    with translation.override(user.language):
        answer = chat_review.typed_answer(user, reply_to, text)
    if answer is None:
        return False
    message_id = message.get("message_id")
    replying = {"message_id": message_id} if type(message_id) is int else None
    api.call("sendMessage", chat_id=message["chat"]["id"], reply_parameters=replying, **answer)
    return True


def _on_callback_query(query: dict, api: BotAPI) -> None:
    query_id = query.get("id")
    if not isinstance(query_id, str):
        return
    notice = ""
    language = None
    try:
        user = _learner(query.get("from"))
        if user is not None:
            language = user.language
            with translation.override(language):
                notice = _on_tap(user, query, api)
    except Exception:
        # The work is rolled back (process_update's transaction); the learner may try again.
        with translation.override(language):
            notice = gettext("Something went wrong. Please try again.")
        raise
    finally:
        # Always answer, whatever happened: else the learner's Telegram spins the button.
        _answer_callback_query(api, query_id, notice)


def _on_tap(user: User, query: dict, api: BotAPI) -> str:
    """Act on a button (the in-chat review's, or a drafts answer's) and show the result; the
    notice to answer the tap with."""
    message = _object(query.get("message"))
    chat = _object(message.get("chat"))
    chat_id, message_id, data = chat.get("id"), message.get("message_id"), query.get("data")
    # Without the message we could not show what the tap did, so we do not act on it.
    if type(chat_id) is not int or type(message_id) is not int or not isinstance(data, str):
        return ""
    if data.startswith(drafts.PREFIX):
        notice, content = drafts.draft_callback(user, data)
    else:
        notice, content = chat_review.review_callback(user, data, chat_id=chat_id)
    if content is not None:
        chat_review.edit_message(api, chat_id=chat_id, message_id=message_id, content=content)
    return notice


def _answer_callback_query(api: BotAPI, query_id: str, notice: str) -> None:
    try:
        api.call("answerCallbackQuery", callback_query_id=query_id, text=notice or None)
    except TelegramError as error:
        # Too late (Telegram gives a query 15 seconds or so) or refused: the tap's work stands.
        logger.warning("Telegram callback query: could not answer: %s", error)
