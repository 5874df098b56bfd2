from datetime import UTC, datetime, timedelta

import pytest

from cards.models import Card, LeechAction, Phrase, ReviewLog, State, is_leech_point
from cards.scheduling import Rating
from conftest import htmx, make_card

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def learned(card, learner, now=T0):
    """Two Goods: the card leaves its learning steps and becomes a review card."""
    card.review(Rating.GOOD, learner=learner, now=now)
    card.review(Rating.GOOD, learner=learner, now=now + timedelta(minutes=10))
    return card.due


def lapse(card, learner):
    """Forget the review card at its due time; relearn it ten minutes later. The lapse's log."""
    moment = card.due
    log = card.review(Rating.AGAIN, learner=learner, now=moment)
    if not card.suspended:
        card.review(Rating.GOOD, learner=learner, now=moment + timedelta(minutes=10))
    return log


@pytest.fixture
def card(deck):
    return make_card(deck=deck, front="hola", back="hello", tags="greeting", due=T0)


@pytest.mark.parametrize(
    ("lapses", "leech"),
    [(7, False), (8, True), (9, False), (11, False), (12, True), (16, True), (18, False)],
)
def test_a_leech_is_a_card_forgotten_eight_times_then_every_four_more(lapses, leech):
    assert is_leech_point(lapses, 8) is leech


def test_an_odd_threshold_repeats_every_half_rounded_up():
    assert [n for n in range(1, 12) if is_leech_point(n, 3)] == [3, 5, 7, 9, 11]


def test_a_leech_is_suspended_after_eight_lapses(card, alice):
    learned(card, alice)
    logs = [lapse(card, alice) for _ in range(8)]

    assert [log.made_leech for log in logs] == [False] * 7 + [True]
    stored = Card.objects.get(pk=card.pk)
    assert stored.lapses == 8
    assert stored.suspended
    assert Phrase.objects.get(pk=card.phrase_id).tag_list == ["greeting", "leech"]


def test_again_on_a_card_being_learned_is_no_lapse(card, alice):
    for _ in range(10):
        card.review(Rating.AGAIN, learner=alice, now=T0)
    assert Card.objects.get(pk=card.pk).lapses == 0


def test_a_deck_that_only_tags_keeps_its_leeches_in_study(card, deck, alice):
    deck.leech_action = LeechAction.TAG
    deck.leech_threshold = 3
    deck.save()
    card = Card.objects.select_related("deck", "phrase").get(pk=card.pk)
    learned(card, alice)
    logs = [lapse(card, alice) for _ in range(5)]

    assert [log.made_leech for log in logs] == [False, False, True, False, True]
    assert not Card.objects.get(pk=card.pk).suspended
    assert Phrase.objects.get(pk=card.phrase_id).tags == "greeting leech"


def test_undoing_the_lapse_that_made_a_leech_takes_it_all_back(card, alice):
    learned(card, alice)
    for _ in range(7):
        lapse(card, alice)
    before = Card.objects.get(pk=card.pk)
    log = lapse(card, alice)

    log.undo(learner=alice)

    after = Card.objects.get(pk=card.pk)
    assert after.lapses == 7
    assert not after.suspended
    for field in ReviewLog.SNAPSHOT_FIELDS:
        assert getattr(after, field) == getattr(before, field), field
    assert Phrase.objects.get(pk=card.phrase_id).tags == "greeting"


def test_a_full_tag_field_makes_room_for_the_leech_tag(deck, alice):
    tags = " ".join(f"tag{i:03}" for i in range(500 // 7))
    card = make_card(deck=deck, tags=tags, due=T0)
    deck.leech_threshold = 1
    deck.save()
    learned(card, alice)
    lapse(card, alice)
    kept = Phrase.objects.get(pk=card.phrase_id).tags
    assert len(kept) <= 500
    assert kept.split()[-1] == "leech"
    assert kept.startswith("tag000 tag001")


def test_reset_makes_a_leech_new_again_and_keeps_its_history(card, alice):
    learned(card, alice)
    for _ in range(8):
        lapse(card, alice)
    card.reset()

    stored = Card.objects.get(pk=card.pk)
    assert stored.is_new
    assert (stored.state, stored.step, stored.stability, stored.lapses) == (
        State.LEARNING,
        0,
        None,
        0,
    )
    assert not stored.suspended
    assert ReviewLog.objects.filter(card=card).count() == 2 + 8 * 2 - 1


def test_the_migration_counts_the_lapses_in_each_cards_history(card, alice, deck):
    from importlib import import_module

    from django.apps import apps

    learned(card, alice)
    for _ in range(3):
        lapse(card, alice)
    other = make_card(deck=deck)
    Card.objects.update(lapses=0)

    import_module("cards.migrations.0016_leeches").count_lapses(apps, None)

    assert Card.objects.get(pk=card.pk).lapses == 3
    assert Card.objects.get(pk=other.pk).lapses == 0


# The review screen and the deck screen.


def grade(client, card, rating):
    url = f"/review/cards/{card.pk}/grade/"
    return client.post(url, {"rating": rating, "version": card.version}, **htmx())


def test_the_next_screen_says_once_that_the_card_became_a_leech(as_alice, card, alice):
    learned(card, alice)
    for _ in range(7):
        lapse(card, alice)
    card.review(Rating.GOOD, learner=alice, now=card.due)  # a review card again, due later
    Card.objects.filter(pk=card.pk).update(due=T0)
    card.refresh_from_db()

    response = grade(as_alice, card, Rating.AGAIN)
    body = response.content.decode()

    assert "data-leech-notice" in body
    assert "hola" in body
    assert "suspended" in body
    # The screen after that one says nothing more.
    assert "data-leech-notice" not in as_alice.get("/review/", **htmx()).content.decode()


def test_an_ordinary_lapse_says_nothing(as_alice, card, alice):
    learned(card, alice)
    Card.objects.filter(pk=card.pk).update(due=T0)
    card.refresh_from_db()
    assert "data-leech-notice" not in grade(as_alice, card, Rating.AGAIN).content.decode()


def test_the_deck_screen_lists_its_leeches(as_alice, deck, card, alice):
    make_card(deck=deck, front="adiós")
    deck.leech_threshold = 1
    deck.save()
    learned(card, alice)
    lapse(card, alice)

    body = as_alice.get(f"/decks/{deck.pk}/?tag=leech", **htmx()).content.decode()

    assert "hola" in body
    assert "adiós" not in body
    assert "Leech" in body
    assert f"/cards/{card.pk}/reset/" in body


def test_reset_from_the_deck_screen_brings_a_leech_back_as_new(as_alice, deck, card, alice):
    deck.leech_threshold = 1
    deck.save()
    learned(card, alice)
    lapse(card, alice)

    response = as_alice.post(f"/cards/{card.pk}/reset/", **htmx())

    assert response.status_code == 200
    stored = Card.objects.get(pk=card.pk)
    assert stored.is_new and not stored.suspended
    assert ReviewLog.objects.filter(card=card).exists()


def test_another_learners_card_cannot_be_reset(as_alice, bob):
    from cards.models import Deck

    bobs = make_card(deck=Deck.objects.create(owner=bob, name="Bob's"), due=T0)
    learned(bobs, bob)
    assert as_alice.post(f"/cards/{bobs.pk}/reset/", **htmx()).status_code == 404
    assert not Card.objects.get(pk=bobs.pk).is_new


def test_the_deck_form_sets_the_leech_options(as_alice, deck):
    data = {
        "name": deck.name,
        "front_lang": "es",
        "back_lang": "en",
        "directions": ["recognition"],
        "new_cards_per_day": 20,
        "reviews_per_day": 200,
        "leech_threshold": 5,
        "leech_action": "tag",
    }
    response = as_alice.post(f"/decks/{deck.pk}/edit/", data, **htmx())
    assert response.status_code == 200
    deck.refresh_from_db()
    assert (deck.leech_threshold, deck.leech_action) == (5, "tag")


@pytest.mark.parametrize("threshold", ["0", "100", "x"])
def test_a_bad_leech_threshold_is_a_form_error(as_alice, deck, threshold):
    data = {
        "name": deck.name,
        "directions": ["recognition"],
        "new_cards_per_day": 20,
        "reviews_per_day": 200,
        "leech_threshold": threshold,
        "leech_action": "suspend",
    }
    response = as_alice.post(f"/decks/{deck.pk}/edit/", data, **htmx())
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    deck.refresh_from_db()
    assert deck.leech_threshold == 8


def test_a_deck_form_without_the_leech_options_keeps_the_decks(as_alice, deck):
    deck.leech_threshold = 5
    deck.save()
    data = {"name": "Renamed", "directions": ["recognition"], "leech_threshold": ""}
    as_alice.post(f"/decks/{deck.pk}/edit/", data, **htmx())
    deck.refresh_from_db()
    assert (deck.name, deck.leech_threshold, deck.leech_action) == ("Renamed", 5, "suspend")


@pytest.mark.parametrize("count", [1, 30])
def test_the_deck_leeches_cost_the_same_queries_for_any_number(
    as_alice, deck, count, django_assert_max_num_queries
):
    from conftest import make_cards

    make_cards(deck, count, tags="leech", lapses=8, suspended=True, last_review=T0, state=2)
    with django_assert_max_num_queries(5):
        response = as_alice.get(f"/decks/{deck.pk}/?tag=leech", **htmx(HTTP_HX_TARGET="card-list"))
    assert response.text.count('/reset/" hx-post') == count
