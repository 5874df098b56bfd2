"""Every card made before phrases becomes a phrase with one recognition card, keeping its id,
its schedule and its review history exactly (migrations 0009-0011)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cards import scheduling

BEFORE = [("cards", "0008_export_jobs"), ("accounts", "0005_learn_ahead_and_daily_ceiling")]
AFTER = [("cards", "0011_card_text_on_phrase")]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RETENTION = 0.9
# (ratings, hours between them) per card: new, one review, learning steps, lapses, a long run.
HISTORIES = [
    [],
    [3],
    [1, 3, 3],
    [3, 3, 1, 3, 4, 2],
    [4, 3, 3, 3, 3, 2, 3, 1, 3, 3, 4, 3],
]
SCHEDULE = ("state", "step", "stability", "difficulty", "due", "last_review")


def initial(created: datetime) -> SimpleNamespace:
    return SimpleNamespace(
        pk=0, state=1, step=0, stability=None, difficulty=None, due=created, last_review=None
    )


def replayed(card, logs) -> dict:
    """The schedule FSRS gives the card's logs from a new card, as Card.review applies them."""
    state = initial(card.created)
    sched = scheduling.scheduler(RETENTION, fuzzing=False)
    for log in logs:
        fcard, _ = sched.review_card(
            scheduling.to_fsrs(state),
            scheduling.fsrs.Rating(log.rating),
            review_datetime=log.reviewed_at,
            review_duration=log.duration_ms,
        )
        vars(state).update(scheduling.fsrs_fields(fcard))
    return {name: getattr(state, name) for name in SCHEDULE}


def columns(card) -> dict:
    return {name: getattr(card, name) for name in SCHEDULE}


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def seed(apps) -> dict[int, dict]:
    """Cards with review histories at the old schema, reviewed as Card.review did; what each
    must keep, by id."""
    User = apps.get_model("accounts", "User")
    Deck, Card = apps.get_model("cards", "Deck"), apps.get_model("cards", "Card")
    ReviewLog = apps.get_model("cards", "ReviewLog")
    learner = User.objects.create(username="tg1", telegram_id=1, desired_retention=RETENTION)
    deck = Deck.objects.create(owner=learner, name="Old", new_cards_per_day=20, reviews_per_day=200)
    sched = scheduling.scheduler(RETENTION, fuzzing=False)
    kept = {}
    for n, ratings in enumerate(HISTORIES * 3):
        card = Card.objects.create(
            owner=learner,
            deck=deck,
            front=f"frente {n}",
            back=f"back {n}",
            example=f"ejemplo {n}",
            notes=f"notes {n}",
            tags=f"t{n} old",
            search_text=f"frente {n}\nback {n}",
            due=T0,
            suspended=n % 4 == 3,
        )
        Card.objects.filter(pk=card.pk).update(created=T0)
        card.created = T0
        moment = T0
        for i, rating in enumerate(ratings):
            moment += timedelta(hours=1 + 7 * i)
            fcard, _ = sched.review_card(
                scheduling.to_fsrs(card), scheduling.fsrs.Rating(rating), review_datetime=moment
            )
            ReviewLog.objects.create(
                card=card,
                user=learner,
                rating=rating,
                reviewed_at=moment,
                **{f"{name}_before": getattr(card, name) for name in SCHEDULE},
            )
            for name, value in scheduling.fsrs_fields(fcard).items():
                setattr(card, name, value)
            card.version += 1
            card.save()
        logs = list(ReviewLog.objects.filter(card=card).order_by("reviewed_at", "id"))
        assert columns(card) == replayed(card, logs)  # the test's own replay is right
        kept[card.pk] = {
            "text": (card.front, card.back, card.example, card.notes, card.tags, card.search_text),
            "schedule": columns(card),
            "version": card.version,
            "suspended": card.suspended,
            "logs": [log.pk for log in logs],
        }
    return kept


@pytest.mark.django_db(transaction=True)
def test_every_card_becomes_a_phrase_with_one_recognition_card_keeping_its_history():
    kept = seed(migrate(BEFORE))

    new = migrate(AFTER)
    Card, Phrase = new.get_model("cards", "Card"), new.get_model("cards", "Phrase")
    ReviewLog, Deck = new.get_model("cards", "ReviewLog"), new.get_model("cards", "Deck")
    assert Card.objects.count() == Phrase.objects.count() == len(kept)
    for card in Card.objects.select_related("phrase"):
        was = kept[card.pk]
        phrase = card.phrase
        assert (card.phrase_id, card.direction) == (card.pk, "recognition")
        assert (phrase.owner_id, phrase.deck_id) == (card.owner_id, card.deck_id)
        text = (phrase.front, phrase.back, phrase.example, phrase.notes, phrase.tags)
        assert (*text, phrase.search_text) == was["text"]
        assert phrase.created == card.created == T0
        assert columns(card) == was["schedule"]
        assert (card.version, card.suspended, card.buried_until) == (
            was["version"],
            was["suspended"],
            None,
        )
        logs = list(ReviewLog.objects.filter(card=card).order_by("reviewed_at", "id"))
        assert [log.pk for log in logs] == was["logs"]
        # Replaying the logs through FSRS after the migration finds the card's state.
        assert replayed(card, logs) == columns(card)
    assert list(Deck.objects.values_list("directions", flat=True)) == [["recognition"]]
    # The phrases took their cards' ids: the next phrase takes a new one.
    deck = Deck.objects.get()
    later = Phrase.objects.create(owner_id=deck.owner_id, deck=deck, front="nuevo", back="new")
    assert later.pk > max(kept)

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migration_can_be_reversed_with_the_text_back_on_the_cards():
    kept = seed(migrate(BEFORE))
    migrate(AFTER)

    old = migrate(BEFORE)
    Card = old.get_model("cards", "Card")
    for card in Card.objects.all():
        text = (card.front, card.back, card.example, card.notes, card.tags, card.search_text)
        assert text == kept[card.pk]["text"]
        assert columns(card) == kept[card.pk]["schedule"]

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
