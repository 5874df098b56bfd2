"""The statements of the review loop, written out by hand: the day's deck counts, the study
queue, and a card fetched to be shown or graded.

Every review screen runs them. Built with the ORM, each cost more Python to build and compile
than the database spent running it (bench/README.md, "The review loop": the deck counts alone
were five times their SQL). Their shapes do not change from one request to the next: here each
is written once (per database vendor where SQLite differs), and only the parameters change.
What each count and card means is cards.day's to say; this module says how the database finds
it. Each statement keeps to the indexes that cards.models declares for it, which
cards/tests/test_due_queue.py checks on PostgreSQL's plans.
"""

from datetime import date, datetime
from functools import cache
from typing import Any

from django.db import connection
from django.http import Http404

from accounts.models import User
from cards.media.models import Speech
from cards.models import Card, Deck, Phrase, State
from phraseweaver.rows import columns, instance, instances

# A card that can be studied now: not suspended, not buried until tomorrow.
WAITING = "NOT c.suspended AND (c.buried_until IS NULL OR c.buried_until <= %(now)s)"
LEARNING = f"c.state IN ({State.LEARNING.value}, {State.RELEARNING.value})"


def capped(rows: str, cap: str, vendor: str) -> str:
    """The number of `rows` (a SELECT), counted no further than `cap` (an expression on the
    deck's row). On PostgreSQL a LIMIT: a learner back from a holiday with 10,000 due cards
    reads no more of them than the deck's limits could let through today. SQLite's LIMIT cannot
    name the outer row, so there the count is capped after counting."""
    if vendor == "postgresql":
        return f"(SELECT COUNT(*) FROM ({rows} LIMIT {cap}) AS capped)"
    return f"(SELECT MIN(COUNT(*), {cap}) FROM ({rows}) AS capped)"


def allowance(limit: str, done: str, vendor: str) -> str:
    """What is left of a daily `limit` once `done` are done, and one more: counted that far, a
    count still shows that the limit holds cards back."""
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    return f"{greatest}({limit} - COALESCE({done}, 0), 0) + 1"


@cache
def deck_counts_sql(vendor: str, totals: bool) -> str:
    """The learner's decks, each with its waiting cards counted up to what its limits still let
    through today, whether cards are buried in it, and today's and the session's reviews in it;
    with `totals`, its size."""
    cards = "SELECT c.id FROM cards_card c WHERE c.deck_id = d.id AND " + WAITING
    seen = f"{cards} AND c.last_review IS NOT NULL"
    reviews_cap = allowance("d.reviews_per_day", "logs.reviews_done", vendor)
    new_limit = (
        "d.new_cards_per_day + CASE WHEN d.extra_new_on = %(today)s THEN d.extra_new ELSE 0 END"
    )
    counts = {
        # Each count in its index's order (card_deck_seen_due, card_deck_new): so read even by
        # a plan made without the parameters' values (a prepared statement's generic plan).
        "due_count": capped(f"{seen} AND c.due <= %(now)s ORDER BY c.due", reviews_cap, vendor),
        "new_count": capped(
            f"{cards} AND c.last_review IS NULL ORDER BY c.due, c.id",
            allowance(new_limit, "logs.new_done", vendor),
            vendor,
        ),
        "ahead_count": capped(
            f"{seen} AND c.due > %(now)s AND c.due <= %(ahead_until)s AND {LEARNING}"
            " ORDER BY c.due",
            reviews_cap,
            vendor,
        ),
        # The latest burial off card_deck_buried's end, where an EXISTS could be planned as a
        # walk through every card of the deck.
        "buried": "COALESCE((SELECT MAX(c.buried_until) FROM cards_card c WHERE c.deck_id = d.id"
        " AND c.buried_until IS NOT NULL AND NOT c.suspended) > %(now)s, FALSE)",
        "new_done": "COALESCE(logs.new_done, 0)",
        "reviews_done": "COALESCE(logs.reviews_done, 0)",
        "session_last_id": "logs.session_last_id",
    }
    if totals:
        counts |= {
            "phrase_count": "(SELECT COUNT(*) FROM cards_phrase p WHERE p.deck_id = d.id)",
            "card_count": "(SELECT COUNT(*) FROM cards_card c WHERE c.deck_id = d.id)",
            "seen": f"EXISTS ({seen})",
        }
    counted = ",\n  ".join(f"{sql} AS {name}" for name, sql in counts.items())
    # Today's reviews (and the session's, which may have begun yesterday), read once and
    # grouped by deck: as many rows as the learner reviewed today, whatever the decks' sizes.
    return f"""SELECT {columns(Deck, "d")},
  {counted}
FROM cards_deck d
LEFT JOIN (
  SELECT c.deck_id,
    COUNT(CASE WHEN l.reviewed_at >= %(day_start)s AND l.last_review_before IS NULL
      THEN 1 END) AS new_done,
    COUNT(CASE WHEN l.reviewed_at >= %(day_start)s AND l.last_review_before IS NOT NULL
      THEN 1 END) AS reviews_done,
    MAX(CASE WHEN l.reviewed_at >= %(since)s THEN l.id END) AS session_last_id
  FROM cards_reviewlog l INNER JOIN cards_card c ON c.id = l.card_id
  WHERE l.user_id = %(user)s AND l.reviewed_at >= %(logs_from)s
  GROUP BY c.deck_id
) logs ON logs.deck_id = d.id
WHERE d.owner_id = %(user)s
ORDER BY d.name, d.id"""


def deck_counts(
    *,
    user_id: int,
    now: datetime,
    ahead_until: datetime,
    today: date,
    day_start: datetime,
    since: datetime,
    totals: bool,
) -> tuple[str, dict[str, Any]]:
    """The statement for this database, and its parameters."""
    moment = connection.ops.adapt_datetimefield_value
    params = {
        "user": user_id,
        "today": connection.ops.adapt_datefield_value(today),
        "now": moment(now),
        "ahead_until": moment(ahead_until),
        "day_start": moment(day_start),
        "since": moment(since),
        "logs_from": moment(min(since, day_start)),
    }
    return deck_counts_sql(connection.vendor, totals), params


def counted_decks(sql: str, params: dict[str, Any]) -> list[Deck]:
    """The decks a deck_counts() statement finds, each with its counts as attributes."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        found = cursor.fetchall()
    width = len(Deck._meta.concrete_fields)
    decks = []
    for row in found:
        deck = instance(Deck, row[:width])
        assert deck is not None
        for name, value in zip(names[width:], row[width:], strict=True):
            setattr(deck, name, value)
        decks.append(deck)
    return decks


# --- one card -------------------------------------------------------------------------------


@cache
def _shown_cards_sql(with_deck: bool, extra: str = "") -> str:
    """Cards with their phrase and its speech (to show them), and with their deck; `extra`
    columns after them."""
    deck_columns = f", {columns(Deck, 'd')}" if with_deck else ""
    deck_join = " INNER JOIN cards_deck d ON d.id = c.deck_id" if with_deck else ""
    return (
        f"SELECT {columns(Card, 'c')}{deck_columns}, {columns(Phrase, 'p')},"
        f" {columns(Speech, 's')}{extra} FROM cards_card c{deck_join}"
        " INNER JOIN cards_phrase p ON p.id = c.phrase_id"
        " LEFT JOIN cards_speech s ON s.id = p.speech_id"
    )


def _shown(card: Card, phrase: Phrase, speech: Speech | None) -> Card:
    """The card with its phrase and the phrase with its speech (None: none), as
    select_related("phrase__speech") gives them."""
    phrase.speech = speech
    card.phrase = phrase
    return card


def _fetch_card(sql: str, user: User, card_id: int) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql} WHERE c.id = %(card)s AND c.owner_id = %(user)s",
            {"card": card_id, "user": user.pk},
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404("No such card")
    return row


def get_card_for_user(user: User, card_id: int) -> Card:
    """The user's card with its deck, phrase and speech (to show it), or 404."""
    row = _fetch_card(_shown_cards_sql(with_deck=True), user, card_id)
    card, deck, phrase, speech = instances(row, Card, Deck, Phrase, Speech)
    assert isinstance(card, Card) and isinstance(deck, Deck) and isinstance(phrase, Phrase)
    assert speech is None or isinstance(speech, Speech)
    card.deck = deck
    return _shown(card, phrase, speech)


# The card with its deck (leeches, the next screen).
GRADED_CARD = (
    f"SELECT {columns(Card, 'c')}, {columns(Deck, 'd')}"
    " FROM cards_card c INNER JOIN cards_deck d ON d.id = c.deck_id"
)


def get_card_to_grade(user: User, card_id: int) -> Card:
    """The user's card with its deck, or 404. The next screen shows another card: the phrase
    is not read."""
    row = _fetch_card(GRADED_CARD, user, card_id)
    card, deck = instances(row, Card, Deck)
    assert isinstance(card, Card) and isinstance(deck, Deck)
    card.deck = deck
    return card


# --- the study queue ------------------------------------------------------------------------


def study_queue(
    *,
    user_id: int,
    now: datetime,
    ahead_until: datetime,
    deck_id: int | None,
    due_decks: list[int],
    new_decks: list[int],
    ahead_decks: list[int],
    limit: int | None,
) -> tuple[str, dict[str, Any]]:
    """The statement that reads the study queue off card_study_queue, in its order: cards seen
    before and due now in `due_decks`, new cards in `new_decks`, or (when both are empty) cards
    being learned due before `ahead_until` in `ahead_decks`; each with its phrase and speech."""
    moment = connection.ops.adapt_datetimefield_value
    params: dict[str, Any] = {"user": user_id, "now": moment(now)}

    def among(decks: list[int], name: str) -> str:
        names = [f"{name}_{i}" for i in range(len(decks))]
        params.update(zip(names, decks, strict=True))
        return "c.deck_id IN (" + ", ".join(f"%({n})s" for n in names) + ")"

    wanted = []
    if due_decks:
        seen_due = "c.last_review IS NOT NULL AND c.due <= %(now)s"
        wanted.append(f"({among(due_decks, 'due')} AND {seen_due})")
    if new_decks:
        wanted.append(f"({among(new_decks, 'new')} AND c.last_review IS NULL)")
    if not wanted:
        params["ahead_until"] = moment(ahead_until)
        wanted.append(
            f"({among(ahead_decks, 'ahead')} AND c.last_review IS NOT NULL"
            f" AND c.due <= %(ahead_until)s AND {LEARNING})"
        )
    in_deck = ""
    if deck_id is not None:
        params["deck"] = deck_id
        in_deck = " AND c.deck_id = %(deck)s"
    # A literal LIMIT: with LIMIT $n PostgreSQL cannot cost a generic plan, and it planned the
    # prepared statement again for every screen (0.35 ms of its CPU for a 0.07 ms read).
    limited = "" if limit is None else f" LIMIT {int(limit)}"
    queue = "ORDER BY c.last_review IS NULL, c.due, c.id"

    def read(wanted: str, extra: str = "") -> str:
        return (
            f"{_shown_cards_sql(with_deck=False, extra=extra)} WHERE c.owner_id = %(user)s"
            f" AND {WAITING}{in_deck} AND {wanted} {queue}{limited}"
        )

    if len(wanted) == 1:
        return read(wanted[0]), params
    # Due and new cards: each range read off card_study_queue on its own, the first `limit`
    # of each, then the two put in the queue's order (due cards first). As one condition (due
    # OR new), the plan made without the values (a prepared statement's generic plan, after
    # five runs) expected a card or two, and read and sorted every waiting card of the learner
    # to take the first; the plan tests check both plans of both shapes.
    ranked = ", {} AS queue_rank, c.due AS queue_due, c.id AS queue_id"
    due, new = (
        f"SELECT * FROM ({read(w, ranked.format(rank))}) AS {name}"
        for rank, (name, w) in enumerate((("due", wanted[0]), ("new", wanted[1])))
    )
    return f"{due} UNION ALL {new} ORDER BY queue_rank, queue_due, queue_id{limited}", params


def cards_with_phrases(sql: str, params: dict[str, Any]) -> list[Card]:
    """The cards a study_queue() statement finds, each with its phrase and speech (any columns
    after those are the statement's own)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        card, phrase, speech = instances(row, Card, Phrase, Speech)
        assert isinstance(card, Card) and isinstance(phrase, Phrase)
        assert speech is None or isinstance(speech, Speech)
        found.append(_shown(card, phrase, speech))
    return found
