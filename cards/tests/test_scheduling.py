from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from cards.models import Card, ReviewLog, StaleReview, State
from cards.scheduling import DEFAULT_PARAMETERS, Rating, format_interval
from conftest import make_card

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def card(deck):
    return make_card(deck=deck, front="hola", back="hello", due=T0)


# Personal parameters, far from the defaults (a learner who forgets fast).
PERSONAL = (
    0.05, 0.3, 0.8, 4.0, 6.8, 0.6, 2.0, 0.01, 1.2, 0.3, 1.1,
    2.2, 0.08, 0.35, 2.0, 0.3, 2.5, 0.5, 0.1, 0.1, 0.25,
)  # fmt: skip


def reference_scheduler(retention=0.9, parameters=DEFAULT_PARAMETERS):
    return fsrs.Scheduler(
        parameters=parameters,
        desired_retention=retention,
        learning_steps=(timedelta(minutes=1), timedelta(minutes=10)),
        relearning_steps=(timedelta(minutes=10),),
        enable_fuzzing=False,
    )


SEQUENCE = [
    (Rating.GOOD, timedelta(0)),
    (Rating.GOOD, timedelta(minutes=10)),
    (Rating.AGAIN, timedelta(days=3)),
    (Rating.HARD, timedelta(days=3, minutes=12)),
    (Rating.GOOD, timedelta(days=4)),
    (Rating.EASY, timedelta(days=12)),
    (Rating.GOOD, timedelta(days=40)),
]


def test_a_card_takes_the_owner_of_its_deck(card, alice):
    assert card.owner == alice


@pytest.mark.parametrize("personal", [False, True], ids=["defaults", "personal"])
def test_review_matches_the_reference_fsrs_over_a_sequence_of_ratings(card, alice, personal):
    if personal:
        alice.fsrs_parameters = list(PERSONAL)
        alice.save()
    scheduler = reference_scheduler(parameters=PERSONAL) if personal else reference_scheduler()
    expected = fsrs.Card(card_id=1, due=T0)
    for rating, offset in SEQUENCE:
        moment = T0 + offset
        card.review(rating, learner=alice, now=moment, duration_ms=4000)
        expected, _ = scheduler.review_card(expected, fsrs.Rating(rating), review_datetime=moment)
        stored = Card.objects.get(pk=card.pk)
        assert stored.state == int(expected.state)
        assert stored.step == expected.step
        assert stored.stability == pytest.approx(expected.stability, rel=1e-12)
        assert stored.difficulty == pytest.approx(expected.difficulty, rel=1e-12)
        assert stored.due == expected.due
        assert stored.last_review == moment
    assert ReviewLog.objects.filter(card=card).count() == len(SEQUENCE)


def test_review_uses_the_owners_desired_retention(card, alice):
    alice.desired_retention = 0.8
    alice.save()
    card = Card.objects.select_related("owner").get(pk=card.pk)
    card.review(Rating.GOOD, learner=alice, now=T0)
    card.review(Rating.GOOD, learner=alice, now=T0 + timedelta(minutes=10))
    card.review(Rating.GOOD, learner=alice, now=T0 + timedelta(days=3))
    low = Card.objects.get(pk=card.pk).due

    scheduler = reference_scheduler(0.8)
    expected = fsrs.Card(card_id=1, due=T0)
    for offset in (timedelta(0), timedelta(minutes=10), timedelta(days=3)):
        expected, _ = scheduler.review_card(expected, fsrs.Rating.Good, T0 + offset)
    assert low == expected.due


def test_personal_parameters_schedule_differently_from_the_defaults(deck, alice):
    default_card, personal_card = make_card(deck=deck, due=T0), make_card(deck=deck, due=T0)
    for card in (default_card, personal_card):
        if card is personal_card:
            alice.fsrs_parameters = list(PERSONAL)
        # Two Goods leave the learning steps: the interval is then the parameters' own.
        card.review(Rating.GOOD, learner=alice, now=T0)
        card.review(Rating.GOOD, learner=alice, now=T0 + timedelta(minutes=10))

    assert personal_card.due < default_card.due


def test_an_import_replays_history_with_the_learners_parameters(deck, alice):
    alice.fsrs_parameters = list(PERSONAL)
    history = [(T0 + offset, rating, None) for rating, offset in SEQUENCE]
    replayed = Card(phrase=make_card(deck=deck).phrase, owner=alice, deck=deck, due=T0)

    replayed.replay(history, learner=alice)

    scheduler = reference_scheduler(parameters=PERSONAL)
    expected = fsrs.Card(card_id=1, due=T0)
    for moment, rating, _duration in history:
        expected, _ = scheduler.review_card(expected, fsrs.Rating(rating), review_datetime=moment)
    assert replayed.stability == pytest.approx(expected.stability, rel=1e-12)
    assert replayed.due == expected.due


def test_review_writes_a_log_with_the_card_as_it_was(card, alice):
    log = card.review(Rating.GOOD, learner=alice, now=T0 + timedelta(minutes=1), duration_ms=3500)
    assert log.user == alice
    assert log.rating == Rating.GOOD
    assert log.duration_ms == 3500
    assert log.state_before == State.LEARNING
    assert log.last_review_before is None
    assert log.due_before == T0


def test_review_rejects_a_rating_outside_one_to_four(card, alice):
    with pytest.raises(ValueError):
        card.review(5, learner=alice, now=T0)
    assert not ReviewLog.objects.exists()


def test_a_grade_made_on_an_old_version_changes_nothing(card, alice):
    seen = card.version
    card.review(Rating.GOOD, learner=alice, now=T0, version=seen)
    stale_copy = Card.objects.get(pk=card.pk)
    with pytest.raises(StaleReview):
        stale_copy.review(Rating.AGAIN, learner=alice, now=T0, version=seen)
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).version == seen + 1


def test_a_second_in_memory_copy_cannot_grade_the_same_version_twice(card, alice):
    first = Card.objects.get(pk=card.pk)
    second = Card.objects.get(pk=card.pk)
    first.review(Rating.GOOD, learner=alice, now=T0)
    with pytest.raises(StaleReview):
        second.review(Rating.GOOD, learner=alice, now=T0)
    assert ReviewLog.objects.count() == 1


def test_undo_restores_the_card_exactly_and_deletes_the_log(card, alice):
    card.review(Rating.GOOD, learner=alice, now=T0)
    card.review(Rating.GOOD, learner=alice, now=T0 + timedelta(minutes=10))
    before = Card.objects.get(pk=card.pk)
    card.review(Rating.AGAIN, learner=alice, now=T0 + timedelta(days=2))

    latest = card.reviews.order_by("-reviewed_at", "-id").first()
    latest.undo(learner=alice)

    assert latest.rating == Rating.AGAIN
    after = Card.objects.get(pk=card.pk)
    for field in ReviewLog.SNAPSHOT_FIELDS:
        assert getattr(after, field) == getattr(before, field), field
    assert ReviewLog.objects.filter(card=card).count() == 2
    assert after.version > before.version


def test_only_the_latest_review_of_a_card_can_be_undone(card, alice):
    first = card.review(Rating.GOOD, learner=alice, now=T0)
    card.review(Rating.GOOD, learner=alice, now=T0 + timedelta(minutes=10))
    with pytest.raises(ValueError):
        first.undo(learner=alice)
    assert ReviewLog.objects.filter(card=card).count() == 2


def test_preview_gives_each_ratings_due_time_without_saving(card, alice):
    previews = card.preview(learner=alice, now=T0)
    assert previews[Rating.AGAIN] == T0 + timedelta(minutes=1)
    assert previews[Rating.HARD] < previews[Rating.GOOD] < previews[Rating.EASY]
    assert not ReviewLog.objects.exists()
    assert Card.objects.get(pk=card.pk).last_review is None


@pytest.mark.parametrize(
    ("delta", "label"),
    [
        (timedelta(seconds=20), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=2), "2d"),
        (timedelta(days=95), "3mo"),
        (timedelta(days=800), "2.2y"),
    ],
)
def test_intervals_are_labelled_compactly(delta, label):
    assert format_interval(delta) == label
