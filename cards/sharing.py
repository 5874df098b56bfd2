"""Sharing decks: a link that opens the Mini App on a preview of the deck, whose cards anyone
who opens it can copy into a deck of their own. Only the cards travel, never the owner's
progress: the copy starts with fresh schedules."""

import base64
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from cards import search
from cards.models import Deck, DeckShare, Phrase, bulk_add_phrases

# 16 bytes: 22 characters of base64url, unguessable and well inside Telegram's 512.
TOKEN_BYTES = 16
# A Mini App start parameter that opens a deck: `deck_<id>` one of the learner's own decks,
# `deck_<token>` (secrets.token_urlsafe, not all digits) a share link. The bot's /start takes
# the same `deck_<token>`, whose 64 characters at most leave 59 for the token.
START_PARAM = re.compile(r"deck_(?:(?P<deck_id>[0-9]{1,18})|(?P<share_token>[A-Za-z0-9_-]{1,59}))")
# The server's reading is shared by everyone (cards/media/speech.py), so a copy links it too;
# the sharer's own pictures and recordings stay theirs.
COPIED_FIELDS = ("front", "back", "example", "notes", "tags", "speech_id")
BATCH = 1000
# A Mini App start parameter that offers one phrase to copy (a phrase shared through inline
# mode): its id and a signature, so that only a phrase someone chose to share can be opened.
PHRASE_PARAM = re.compile(r"phrase_(?P<id>[0-9]{1,18})_(?P<signature>[A-Za-z0-9_-]{16})")


def deck_share(*, deck: Deck) -> DeckShare:
    """The deck's share link: created on first use, the same one on every later call."""
    share, _created = DeckShare.objects.get_or_create(
        deck=deck, defaults={"token": secrets.token_urlsafe(TOKEN_BYTES)}
    )
    return share


def deck_share_revoke(*, deck: Deck) -> None:
    DeckShare.objects.filter(deck=deck).delete()


@dataclass(frozen=True)
class DeckLaunch:
    """What a start parameter asks to open: one of the learner's decks, or a shared deck."""

    deck_id: int | None = None
    share_token: str | None = None


def parse_start_param(start_param: str) -> DeckLaunch | None:
    """The deck a start parameter opens, or None when it opens no deck."""
    match = START_PARAM.fullmatch(start_param)
    if match is None:
        return None
    if match["deck_id"] is not None:
        return DeckLaunch(deck_id=int(match["deck_id"]))
    return DeckLaunch(share_token=match["share_token"])


def mini_app_link(startapp: str = "") -> str | None:
    """The t.me link that opens the Mini App (on `startapp`), or None without a bot username."""
    bot = settings.TELEGRAM_BOT_USERNAME
    if not bot:
        return None
    # Without an app short name: the bot's main Mini App, which takes startapp too.
    app = f"/{settings.TELEGRAM_APP_NAME}" if settings.TELEGRAM_APP_NAME else ""
    link = f"https://t.me/{bot}{app}"
    return f"{link}?{urlencode({'startapp': startapp})}" if startapp else link


def start_param_for(token: str) -> str:
    """The start parameter of a share link (parse_start_param reads it back)."""
    return f"deck_{token}"


def deck_copy_shared(*, token: str, user: User) -> tuple[Deck, bool]:
    """The learner's copy of a shared deck, and whether it was made now: the first call copies
    the cards into a new deck of `user`, each card new and due now; later calls (a second tap,
    even at the same time) find that copy.

    Raises DeckShare.DoesNotExist when the link was revoked or never existed.
    """
    source = DeckShare.objects.select_related("deck").get(token=token).deck
    copies = Deck.objects.filter(owner=user, shared_token=token)
    if (copy := copies.first()) is not None:
        return copy, False
    try:
        return _copy(source, token=token, user=user), True
    except IntegrityError:  # the same learner's other request made the copy meanwhile
        return copies.get(), False


@transaction.atomic
def _copy(source: Deck, *, token: str, user: User) -> Deck:
    copy = Deck.objects.create(
        owner=user,
        name=source.name,
        description=source.description,
        front_lang=source.front_lang,
        back_lang=source.back_lang,
        shared_token=token,
    )
    rows = source.phrases.order_by("id").values(*COPIED_FIELDS)
    # In batches, for bounded memory; each phrase gets the cards of the copy's directions,
    # whose scheduling fields keep their model defaults: learning, never reviewed, due now.
    batch: list[Phrase] = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(Phrase(owner=user, deck=copy, **row))
        if len(batch) == BATCH:
            bulk_add_phrases(batch, copy.new_phrase_directions)
            batch = []
    bulk_add_phrases(batch, copy.new_phrase_directions)
    return copy


def _phrase_signature(phrase_id: int) -> str:
    digest = salted_hmac("cards.sharing.phrase", str(phrase_id)).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def phrase_start_param(phrase: Phrase) -> str:
    """The start parameter that opens a phrase for whoever it is sent to (at most 42
    characters of Telegram's 64)."""
    return f"phrase_{phrase.pk}_{_phrase_signature(phrase.pk)}"


def shared_phrase_id(start_param: str) -> int | None:
    """The phrase a signed start parameter opens, or None for anything else or a forgery."""
    match = PHRASE_PARAM.fullmatch(start_param)
    if match is None:
        return None
    phrase_id = int(match["id"])
    return (
        phrase_id
        if constant_time_compare(match["signature"], _phrase_signature(phrase_id))
        else None
    )


def phrase_copy(*, source: Phrase, deck: Deck) -> tuple[Phrase, bool]:
    """A copy of a shared phrase in the learner's deck, and whether it was made now: a phrase
    of the same front already there is kept instead, so a second tap adds nothing."""
    if (existing := search.same_front(deck.phrases.all(), source.front).first()) is not None:
        return existing, False
    copy = Phrase(
        owner=deck.owner, deck=deck, **{field: getattr(source, field) for field in COPIED_FIELDS}
    )
    copy.add_with_cards()
    return copy, True
