"""The bot's commands in the private chat: /start, /help, /stats and /remind.

Each handler takes the learner and the text after the command and returns the message to send
(sendMessage's parameters without the chat).
"""

from html import escape

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from bot.chat_review import web_app_button
from cards.day import LearnerDay
from cards.sharing import parse_start_param

# Shown in Telegram's command menu (setup_bot) and by /help, in each interface language.
COMMANDS = {
    "start": _("Open PhraseWeaver"),
    "stats": _("Today's progress"),
    "remind": _("Turn daily reminders on or off"),
    "help": _("What this bot can do"),
}


def on_start(user: User, payload: str) -> dict:
    launch = parse_start_param(payload)
    if launch is not None and launch.share_token is not None:
        text = gettext("Someone shared a deck of phrases with you. Open it to add it to yours.")
        button = web_app_button(gettext("Open the shared deck"), "shared_deck", launch.share_token)
    else:
        text = gettext(
            "Hello, %(name)s! PhraseWeaver helps you remember phrases with flashcards and "
            "spaced repetition. Open the app to make a deck or carry on studying."
        ) % {"name": escape(user.first_name or user.telegram_username or "")}
        button = web_app_button(gettext("Open PhraseWeaver"), "home")
    return {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": [[button]]}}


def on_help(user: User, payload: str) -> dict:
    lines = [gettext("PhraseWeaver helps you learn phrases with flashcards."), ""]
    lines += [f"/{name} — {description}" for name, description in COMMANDS.items()]
    button = web_app_button(gettext("Open PhraseWeaver"), "home")
    return {"text": "\n".join(lines), "reply_markup": {"inline_keyboard": [[button]]}}


def on_stats(user: User, payload: str) -> dict:
    """Today as home shows it (cards.day): the same numbers under the same names."""
    day = LearnerDay(user)
    glance = day.glance(day.decks_today())
    lines = [
        gettext("Today"),
        gettext("Due now: %(count)d") % {"count": glance.due},
        gettext("New today: %(count)d") % {"count": glance.new},
        gettext("Reviewed today: %(count)d") % {"count": glance.reviewed},
        ngettext("Streak: %(count)d day", "Streak: %(count)d days", glance.streak)
        % {"count": glance.streak},
    ]
    return {"text": "\n".join(lines)}


def on_remind(user: User, payload: str) -> dict:
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


HANDLERS = {"/start": on_start, "/help": on_help, "/stats": on_stats, "/remind": on_remind}
