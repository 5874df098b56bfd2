"""Sharing decks: a link that opens the Mini App on a preview of the deck, whose cards anyone
who opens it can copy into a deck of their own. Only the cards travel, never the owner's
progress: the copy starts with fresh schedules."""

import re
import secrets

from django.db import transaction
from django.utils import timezone

from cards.models import Card, Deck, DeckShare

# The start parameter of a share link: `deck_<token>`.
START_PARAM_PREFIX = "deck_"
# 16 bytes: 22 characters of base64url, unguessable and well inside Telegram's 512.
TOKEN_BYTES = 16
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
COPIED_FIELDS = ("front", "back", "example", "notes", "tags")


def deck_share(*, deck: Deck) -> DeckShare:
    """The deck's share link: created on first use, the same one on every later call."""
    share, _created = DeckShare.objects.get_or_create(
        deck=deck, defaults={"token": secrets.token_urlsafe(TOKEN_BYTES)}
    )
    return share


def deck_share_revoke(*, deck: Deck) -> None:
    DeckShare.objects.filter(deck=deck).delete()


def token_from_start_param(start_param: str) -> str | None:
    """The share token in a Mini App start parameter, or None when it is not a share link."""
    token = start_param.removeprefix(START_PARAM_PREFIX)
    if token == start_param or not TOKEN_PATTERN.fullmatch(token):
        return None
    return token


@transaction.atomic
def deck_copy_shared(*, token: str, user) -> Deck:
    """Copy a shared deck's cards into a new deck of `user`, each card new and due now.

    Raises DeckShare.DoesNotExist when the link was revoked or never existed.
    """
    source = DeckShare.objects.select_related("deck").get(token=token).deck
    copy = Deck.objects.create(
        owner=user,
        name=source.name,
        description=source.description,
        front_lang=source.front_lang,
        back_lang=source.back_lang,
    )
    now = timezone.now()
    rows = source.cards.order_by("id").values(*COPIED_FIELDS)
    # Scheduling fields keep their model defaults: learning, never reviewed, due now.
    Card.objects.bulk_create(
        [Card(owner=user, deck=copy, due=now, **row) for row in rows.iterator(chunk_size=1000)],
        batch_size=1000,
    )
    return copy
