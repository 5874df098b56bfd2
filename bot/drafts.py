"""Cards from messages in the private chat with the bot.

A message of lines like `phrase — meaning` (or `–`, ` - `, `:`, `=`, a tab, or a phrase alone)
becomes one draft a line; a forwarded message, or one that quotes another, becomes one draft
whose front is the forwarded or quoted text (and whose notes name the source chat, where
Telegram says it). The bot answers with what it read and buttons: pick the deck (the last used
first), add the drafts, or edit them in the Mini App (bot.views.drafts). Nothing becomes a
phrase before the learner confirms it.

Buttons carry `dr:<message id>:<d<deck id>|add>`, well under Telegram's 64 bytes; the drafts
are fetched through the learner, so a foreign or stale button changes nothing, and adding
takes only drafts not added yet, under a row lock: a second tap, or the same tap delivered
twice, adds nothing more.
"""

import re

from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import User
from bot.chat_review import html_lines, web_app_button
from bot.models import CardDraft
from cards.models import Deck, Phrase

PREFIX = "dr:"
CALLBACK_DATA = re.compile(r"dr:([0-9]{1,19}):(add|d[0-9]{1,19})")
# Tried in this order: the first that a line holds splits it, once. A hyphen splits only
# between spaces, so "well-known" stays whole.
SEPARATORS = ("\t", "—", "–", " - ", ":", "=")
MAX_DRAFTS = 20  # lines read from one message; the answer says when there were more
DECK_BUTTONS = 3
FRONT_MAX = Phrase._meta.get_field("front").max_length or 1000
NOTES_MAX = Phrase._meta.get_field("notes").max_length or 2000
ELLIPSIS = "…"


def split_line(line: str) -> tuple[str, str]:
    """(phrase, meaning) of one line; the meaning is empty for a phrase alone."""
    for separator in SEPARATORS:
        front, found, back = line.partition(separator)
        if found and front.strip():
            return front.strip(), back.strip()
    return line.strip(), ""


def _fit(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def source_name(message: dict) -> str:
    """The chat a forwarded or quoted message came from, where Telegram tells it."""
    origin = message.get("forward_origin")
    external = message.get("external_reply")
    if not isinstance(origin, dict) and isinstance(external, dict):
        origin = external.get("origin")
    if not isinstance(origin, dict):
        return ""
    for key, field in (("chat", "title"), ("sender_chat", "title")):
        chat = origin.get(key)
        if isinstance(chat, dict) and isinstance(chat.get(field), str):
            return chat[field]
    user = origin.get("sender_user")
    if isinstance(user, dict):
        names = (user.get("first_name"), user.get("last_name"))
        return " ".join(name for name in names if isinstance(name, str) and name)
    name = origin.get("sender_user_name")
    return name if isinstance(name, str) else ""


def read_drafts(message: dict) -> tuple[list[tuple[str, str, str]], int]:
    """The drafts a message holds as (front, back, notes), and how many lines were left out."""
    text = message.get("text")
    text = text if isinstance(text, str) else message.get("caption")
    text = text if isinstance(text, str) else ""
    quote = message.get("quote")
    quoted = quote.get("text") if isinstance(quote, dict) else None
    name = source_name(message)
    notes = _fit(gettext("From %(chat)s") % {"chat": name}, NOTES_MAX) if name else ""
    if isinstance(quoted, str) and quoted.strip():
        return [(_fit(quoted, FRONT_MAX), _fit(text, FRONT_MAX), notes)], 0
    if "forward_origin" in message:
        return ([(_fit(text, FRONT_MAX), "", notes)], 0) if text.strip() else ([], 0)
    lines = [line for line in text.splitlines() if line.strip()]
    drafts = []
    for line in lines[:MAX_DRAFTS]:
        front, back = split_line(line)
        drafts.append((_fit(front, FRONT_MAX), _fit(back, FRONT_MAX), ""))
    return drafts, max(len(lines) - MAX_DRAFTS, 0)


def recent_decks(user: User) -> list[Deck]:
    """The learner's decks, the one they last added a phrase to first."""
    decks = Deck.objects.for_user(user).annotate(last_added=Max("phrases__created"))
    return list(decks.order_by(F("last_added").desc(nulls_last=True), "-id")[:DECK_BUTTONS])


def on_message(user: User, message: dict) -> dict | None:
    """Keep the drafts of a message and return the answer; None when it holds none."""
    message_id = message.get("message_id")
    drafts, left_out = read_drafts(message)
    if type(message_id) is not int or not drafts:
        return None
    decks = recent_decks(user)
    deck = decks[0] if decks else None
    CardDraft.objects.bulk_create(
        CardDraft(owner=user, message_id=message_id, front=front, back=back, notes=notes, deck=deck)
        for front, back, notes in drafts
    )
    return drafts_message(user, message_id, left_out=left_out, decks=decks)


def drafts_message(
    user: User, message_id: int, *, left_out: int = 0, decks: list[Deck] | None = None
) -> dict:
    """The bot's answer to a message of drafts, as it stands (sendMessage's parameters)."""
    drafts = list(
        CardDraft.objects.filter(owner=user, message_id=message_id).select_related("deck")
    )
    pending = [draft for draft in drafts if draft.added is None]
    deck = next((draft.deck for draft in reversed(drafts) if draft.deck), None)
    lines: list[tuple[str, str]] = []
    keyboard: list[list[dict]] = []
    if added := len(drafts) - len(pending):
        text = ngettext(
            "Added %(count)d phrase to “%(deck)s”.", "Added %(count)d phrases to “%(deck)s”.", added
        )
        lines.append((text % {"count": added, "deck": deck.name if deck else ""}, ""))
        if deck is not None:
            keyboard.append([web_app_button(gettext("Open the deck"), "deck", deck.pk)])
    if pending:
        lines += _pending_lines(pending, deck, left_out)
        keyboard[:0] = _pending_buttons(user, message_id, pending, deck, decks)
    if not lines:  # every draft was discarded in the app
        lines.append((gettext("Nothing left to add."), ""))
    text, _shortened = html_lines(lines)
    return {"text": text, "parse_mode": "HTML", "reply_markup": {"inline_keyboard": keyboard}}


def _pending_lines(
    pending: list[CardDraft], deck: Deck | None, left_out: int
) -> list[tuple[str, str]]:
    lines = [
        (
            ngettext("I read %(count)d phrase:", "I read %(count)d phrases:", len(pending))
            % {"count": len(pending)},
            "",
        )
    ]
    if deck is not None:
        lines.append((gettext("Deck: %(deck)s") % {"deck": deck.name}, "i"))
    else:
        lines.append((gettext("You have no deck yet: make one in the app."), "i"))
    if left_out:
        text = ngettext(
            "%(count)d more line was left out: send it again.",
            "%(count)d more lines were left out: send them again.",
            left_out,
        )
        lines.append((text % {"count": left_out}, "i"))
    lines.append(("", ""))
    for number, draft in enumerate(pending, 1):
        back = draft.back or gettext("(no meaning yet: add it in the app)")
        lines.append((f"{number}. {draft.front} — {back}", ""))
    return lines


def _pending_buttons(
    user: User,
    message_id: int,
    pending: list[CardDraft],
    deck: Deck | None,
    decks: list[Deck] | None,
) -> list[list[dict]]:
    decks = recent_decks(user) if decks is None else decks
    if deck is not None and deck not in decks:
        decks = [deck, *decks[: DECK_BUTTONS - 1]]
    rows = []
    if len(decks) > 1:
        rows.append(
            [
                {
                    "text": f"✓ {choice.name}" if choice == deck else choice.name,
                    "callback_data": f"{PREFIX}{message_id}:d{choice.pk}",
                }
                for choice in decks
            ]
        )
    complete = sum(1 for draft in pending if draft.back)
    if complete and deck is not None:
        text = ngettext("Add %(count)d phrase", "Add %(count)d phrases", complete) % {
            "count": complete
        }
        rows.append([{"text": text, "callback_data": f"{PREFIX}{message_id}:add"}])
    rows.append([web_app_button(gettext("Edit in the app"), "drafts")])
    return rows


def draft_callback(user: User, data: str) -> tuple[str, dict | None]:
    """Handle a drafts button: (a notice for answerCallbackQuery, the message's new content)."""
    match = CALLBACK_DATA.fullmatch(data)
    if match is None:
        return "", None
    message_id, action = int(match[1]), match[2]
    pending = CardDraft.objects.filter(owner=user, message_id=message_id, added__isnull=True)
    if action == "add":
        added = add_drafts(user, pending.exclude(back=""))
        if not added:
            return gettext("These phrases were already added."), None
        return "", drafts_message(user, message_id)
    deck = Deck.objects.for_user(user).filter(pk=action[1:]).first()
    if deck is None:
        return gettext("This deck is no longer yours."), None
    pending.update(deck=deck)
    return "", drafts_message(user, message_id)


@transaction.atomic
def add_drafts(user: User, drafts: QuerySet[CardDraft]) -> int:
    """Make a phrase (with its deck's directions) of each draft not added yet; how many.

    The rows are locked and read again, so a draft is added once however many taps race.
    """
    locked = list(drafts.filter(owner=user, added__isnull=True).select_for_update().order_by("id"))
    decks = {deck.pk: deck for deck in Deck.objects.for_user(user).filter(
        pk__in={draft.deck_id for draft in locked}
    )}  # fmt: skip
    now = timezone.now()
    added = []
    for draft in locked:
        deck = decks.get(draft.deck_id) if draft.deck_id else None
        if deck is None or not draft.back:
            continue
        phrase = Phrase(
            owner=user, deck=deck, front=draft.front, back=draft.back, notes=draft.notes
        )
        phrase.add_with_cards()
        draft.added = now
        added.append(draft)
    CardDraft.objects.bulk_update(added, ["added"])
    return len(added)
