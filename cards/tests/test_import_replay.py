"""Keeping the scheduling replays each card's history in memory and writes it in bulk; the
outcome is exactly what Card.review, called review by review, makes of the same history."""

from datetime import UTC, datetime, timedelta

from cards.importing import ImportOptions, deck_import
from cards.importing.formats import ImportedCard, Row, Source
from cards.models import Card, Deck, ReviewLog
from conftest import make_card

START = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
CARD_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "version")
LOG_FIELDS = (
    "rating",
    "reviewed_at",
    "duration_ms",
    "state_before",
    "step_before",
    "stability_before",
    "difficulty_before",
    "due_before",
    "last_review_before",
)


def history(*steps: tuple[float, int]) -> list:
    """(days after START, rating) → the importer's (when, rating, duration) reviews."""
    return [
        (START + timedelta(days=days), rating, 4000 + n) for n, (days, rating) in enumerate(steps)
    ]


HISTORIES = {
    "uno": history((0, 3), (0.01, 3), (1, 3), (4, 4), (15, 3)),
    "dos": history((0, 1), (0.001, 1), (0.01, 3), (2, 2), (3, 1), (3.01, 3), (9, 3)),
    "tres": history((0, 4)),
    "cuatro": history((0, 2), (0.5, 2), (1, 3), (30, 1), (30.1, 1), (31, 3), (90, 4)),
}


def card_state(card: Card) -> tuple:
    logs = ReviewLog.objects.filter(card=card).order_by("reviewed_at", "id")
    return (
        tuple(getattr(card, name) for name in CARD_FIELDS),
        [tuple(getattr(log, name) for name in LOG_FIELDS) for log in logs],
    )


def test_the_replayed_history_equals_card_review_called_review_by_review(alice):
    imported = Deck.objects.create(owner=alice, name="imported")
    source = Source(format="apkg", rows=[], mapping={"front": 0, "back": 1})
    for line, (front, reviews) in enumerate(HISTORIES.items(), start=1):
        source.rows.append(
            Row(line=line, fields=[front, "x"], cards=[ImportedCard("recognition", reviews)])
        )
    report = deck_import(deck=imported, source=source, options=ImportOptions(keep_scheduling=True))
    assert report.reviews == sum(len(reviews) for reviews in HISTORIES.values())

    reviewed = Deck.objects.create(owner=alice, name="reviewed")
    for front, reviews in HISTORIES.items():
        card = make_card(deck=reviewed, front=front, back="x", due=reviews[0][0])
        for when, rating, duration_ms in reviews:
            card.review(rating, learner=alice, now=when, duration_ms=duration_ms)

        # The imported deck learns both ways, but the note had one card: one card comes in.
        replayed = imported.cards.get(phrase__front=front, direction="recognition")
        assert imported.cards.filter(phrase__front=front).count() == 1
        expected = reviewed.cards.get(phrase__front=front, direction="recognition")
        assert card_state(replayed) == card_state(expected), front
        assert replayed.version == len(reviews)


def test_replaying_writes_in_bulk_not_two_statements_per_review(
    alice, django_assert_max_num_queries
):
    deck = Deck.objects.create(owner=alice, name="imported")
    source = Source(format="apkg", rows=[], mapping={"front": 0, "back": 1})
    steps = [(day * 3.0, 3) for day in range(50)]
    for line in range(1, 5):
        source.rows.append(
            Row(
                line=line,
                fields=[f"front {line}", "x"],
                cards=[ImportedCard("recognition", history(*steps))],
            )
        )

    # 200 reviews: the cards, then their logs in a few INSERTs (SQLite takes ~90 rows in one).
    with django_assert_max_num_queries(20):
        report = deck_import(deck=deck, source=source, options=ImportOptions(keep_scheduling=True))

    assert report.reviews == 200
    assert ReviewLog.objects.filter(card__deck=deck).count() == 200
