"""Finding cards: a search that ignores case and accents the same way on every database.

SQLite has no unaccent and ignores case only in ASCII; PostgreSQL's LIKE heeds both. So a card
keeps its searched text normalized in a column of its own (`Card.search_text`), and a query is
normalized the same way before it is compared with it.
"""

import unicodedata
from typing import TypeVar

from django.db.models import QuerySet

SEARCHED_FIELDS = ("front", "back", "example", "tags")
# Tags never hold a tab (they are split on whitespace) and normalized text never does (it
# collapses whitespace), so "\t<tag>\t" in the column is exactly one of the card's tags.
TAG_SEPARATOR = "\t"

Cards = TypeVar("Cards", bound=QuerySet)


def normalized(text: str) -> str:
    """Casefolded, without combining marks ("Dónde" → "donde", "ёж" → "еж"), whitespace runs
    as single spaces."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


def _tag_key(tag: str) -> str:
    return "".join(normalized(tag).split())


def search_text(front: str, back: str, example: str, tags: str) -> str:
    """What `Card.search_text` holds: the searched fields, one a line, then the tags between
    tabs."""
    text = "\n".join(normalized(value) for value in (front, back, example, tags))
    keys = TAG_SEPARATOR.join(_tag_key(tag) for tag in tags.split())
    return f"{text}\n{TAG_SEPARATOR}{keys}{TAG_SEPARATOR}"


def matching(cards: Cards, q: str = "", tag: str = "") -> Cards:
    """The cards holding every word of `q` (in any of SEARCHED_FIELDS) and tagged `tag`."""
    for word in normalized(q).split():
        cards = cards.filter(search_text__contains=word)
    if key := _tag_key(tag):
        cards = cards.filter(search_text__contains=f"{TAG_SEPARATOR}{key}{TAG_SEPARATOR}")
    return cards


def same_front(cards: Cards, front: str) -> Cards:
    """The cards whose front is `front` but for case, accents and spacing (the column's first
    line is the normalized front)."""
    return cards.filter(search_text__startswith=f"{normalized(front)}\n")
