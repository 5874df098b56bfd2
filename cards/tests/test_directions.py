"""A phrase and its cards: the directions a deck gives its new phrases, adding and dropping
one for a phrase, the review screens of each direction, and siblings buried until the next
day."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.day import LearnerDay
from cards.models import Card, Deck, Direction, Phrase, ReviewLog, StaleReview
from cards.review_session import ReviewSession
from cards.scheduling import Rating
from cards.tests.test_review import TRANSACTION
from conftest import htmx

# Noon in Madrid on 2 March; the learner's next day starts at 23:00 UTC.
NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
TOMORROW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def learner(alice):
    alice.time_zone = "Europe/Madrid"
    alice.save()
    return alice


@pytest.fixture
def both_ways(learner):
    """A new deck: its phrases are learned both ways."""
    return Deck.objects.create(owner=learner, name="Both ways", front_lang="es", back_lang="en")


def add_phrase(deck, front="¿Dónde está?", back="Where is it?"):
    phrase = Phrase(deck=deck, front=front, back=back, example="¿Dónde está el baño?")
    phrase.add_with_cards()
    return phrase


def directions(queryset):
    return [card.direction for card in queryset]


# The deck's directions


def test_a_new_deck_learns_both_ways_and_its_phrases_get_a_card_for_each(as_alice, both_ways):
    assert both_ways.directions == ["recognition", "production"]
    as_alice.post(f"/decks/{both_ways.pk}/phrases/add/", {"front": "hola", "back": "hi"}, **htmx())
    phrase = Phrase.objects.get()
    assert directions(phrase.cards.order_by("id")) == ["recognition", "production"]
    assert {(c.owner_id, c.deck_id) for c in phrase.cards.all()} == {
        (phrase.owner_id, both_ways.pk)
    }


def test_the_deck_screen_counts_phrases_and_cards(as_alice, both_ways):
    add_phrase(both_ways)
    add_phrase(both_ways, front="hola", back="hi")
    text = as_alice.get(f"/decks/{both_ways.pk}/", **htmx()).text
    assert "2 phrases · 4 cards" in " ".join(text.split())
    home = " ".join(as_alice.get("/", **htmx()).text.split())
    assert "2 phrases · 4 cards" in home


def test_the_deck_form_chooses_the_directions_with_checkboxes(as_alice, both_ways):
    form = as_alice.get(f"/decks/{both_ways.pk}/edit/", **htmx()).text
    assert 'type="checkbox" name="directions" value="production"' in form
    data = {"name": "Both ways", "front_lang": "es", "directions": ["production", "listening"]}
    as_alice.post(f"/decks/{both_ways.pk}/edit/", data, **htmx())
    both_ways.refresh_from_db()
    assert both_ways.directions == ["production", "listening"]
    assert add_phrase(both_ways).cards.count() == 2


def test_listening_needs_a_front_language_and_no_direction_is_refused(as_alice, both_ways):
    data = {"name": "No language", "front_lang": "", "directions": ["recognition", "listening"]}
    text = as_alice.post(f"/decks/{both_ways.pk}/edit/", data, **htmx()).text
    assert "Listening needs a front language" in text
    text = as_alice.post(f"/decks/{both_ways.pk}/edit/", {"name": "None"}, **htmx()).text
    assert "Choose at least one direction." in text
    both_ways.refresh_from_db()
    assert (both_ways.name, both_ways.directions) == ("Both ways", ["recognition", "production"])


def test_a_deck_without_a_front_language_never_gives_listening_cards(learner):
    deck = Deck.objects.create(owner=learner, name="Mute", directions=["listening"])
    assert directions(add_phrase(deck).cards.all()) == ["recognition"]


# One phrase's directions


def test_the_learner_adds_a_direction_to_one_phrase(as_alice, both_ways):
    phrase = add_phrase(both_ways)
    edit = as_alice.get(f"/phrases/{phrase.pk}/edit/", **htmx()).text
    assert "Listening: sound → phrase" in edit
    response = as_alice.post(
        f"/phrases/{phrase.pk}/directions/add/", {"direction": "listening"}, **htmx()
    )
    assert response.status_code == 200
    assert directions(phrase.cards.order_by("id")) == ["recognition", "production", "listening"]
    assert phrase.cards.get(direction="listening").is_new


def test_a_direction_the_deck_does_not_offer_is_refused_with_a_message(as_alice, learner):
    deck = Deck.objects.create(owner=learner, name="Mute", directions=["recognition"])
    phrase = add_phrase(deck)
    response = as_alice.post(
        f"/phrases/{phrase.pk}/directions/add/", {"direction": "listening"}, **htmx()
    )
    assert "This deck does not offer that direction." in response.text
    assert phrase.cards.count() == 1


def test_dropping_a_direction_deletes_its_card_and_history_after_a_warning(
    as_alice, learner, both_ways
):
    phrase = add_phrase(both_ways)
    production = phrase.cards.get(direction="production")
    production.review(Rating.GOOD, learner=learner)
    edit = as_alice.get(f"/phrases/{phrase.pk}/edit/", **htmx()).text
    assert "Its card and its review history are deleted." in edit
    as_alice.post(f"/cards/{production.pk}/delete/", **htmx())
    assert directions(phrase.cards.all()) == ["recognition"]
    assert not ReviewLog.objects.exists()


def test_dropping_the_last_direction_is_refused_with_a_clear_message(as_alice, both_ways):
    phrase = add_phrase(both_ways)
    phrase.cards.filter(direction="production").delete()
    last = phrase.cards.get()
    response = as_alice.post(f"/cards/{last.pk}/delete/", **htmx())
    assert response.status_code == 200
    assert "A phrase needs at least one direction" in response.text
    assert phrase.cards.get() == last


def test_editing_a_phrase_changes_every_card_and_deleting_it_deletes_them(as_alice, both_ways):
    phrase = add_phrase(both_ways)
    data = {"front": "¿Qué tal?", "back": "How are you?"}
    as_alice.post(f"/phrases/{phrase.pk}/edit/", data, **htmx())
    for card in phrase.cards.all():
        answer = as_alice.get(f"/review/cards/{card.pk}/answer/", **htmx()).text
        assert "¿Qué tal?" in answer and "How are you?" in answer
    as_alice.post(f"/phrases/{phrase.pk}/delete/", **htmx())
    assert not Card.objects.exists()


def test_suspending_is_per_card(as_alice, both_ways):
    phrase = add_phrase(both_ways)
    production = phrase.cards.get(direction="production")
    as_alice.post(f"/cards/{production.pk}/suspend/", **htmx())
    assert {(c.direction, c.suspended) for c in phrase.cards.all()} == {
        ("recognition", False),
        ("production", True),
    }


# The review screens of each direction


def test_a_production_card_asks_for_the_phrase_from_its_meaning(as_alice, both_ways):
    production = add_phrase(both_ways).cards.get(direction="production")
    question = as_alice.get(f"/review/cards/{production.pk}/answer/?x=1", **htmx()).text
    front = question.split("<hr>")[0]
    assert "Where is it?" in front and "¿Dónde está?" not in front
    assert "¿Dónde está?" in question.split("<hr>")[1]


def test_a_listening_card_only_speaks_then_shows_the_phrase_and_its_meaning(as_alice, both_ways):
    phrase = add_phrase(both_ways)
    listening = phrase.add_direction(Direction.LISTENING)
    answer = as_alice.get(f"/review/cards/{listening.pk}/answer/", **htmx()).text
    front, back = answer.split("<hr>")
    assert 'data-speak-lang="es"' in front
    assert 'id="review-front" class="phrase" hidden' in front
    assert "Where is it?" not in front
    assert "¿Dónde está?" in back and "Where is it?" in back


@pytest.mark.parametrize("count", [2, 3])
def test_the_review_screens_cost_the_same_queries_whatever_the_directions(
    as_alice, both_ways, count, django_assert_max_num_queries
):
    phrase = add_phrase(both_ways)
    if count == 3:
        phrase.add_direction(Direction.LISTENING)
    card = phrase.cards.first()
    with django_assert_max_num_queries(3):
        as_alice.get("/review/", **htmx())
    with django_assert_max_num_queries(2):
        as_alice.get(f"/review/cards/{card.pk}/answer/", **htmx(HTTP_HX_TARGET="review-card"))
    # As a phrase's only card's grade (test_review), and the siblings' UPDATE.
    with django_assert_max_num_queries(9):
        as_alice.post(f"/review/cards/{card.pk}/grade/", {"rating": 3, "version": 0}, **htmx())


# Siblings


def test_a_new_phrases_production_card_comes_the_next_day_not_the_same_day(learner, both_ways):
    phrase = add_phrase(both_ways)
    recognition = phrase.cards.get(direction="recognition")
    production = phrase.cards.get(direction="production")
    today = LearnerDay(learner, NOON)
    assert list(today.queue()) == [recognition, production]
    assert today.deck_today(both_ways.pk).new_today == 2

    recognition.review(Rating.GOOD, learner=learner, now=NOON)

    later_today = LearnerDay(learner, NOON + timedelta(minutes=30))
    assert production not in later_today.queue()
    assert later_today.deck_today(both_ways.pk).new_count == 0
    assert later_today.next_card_at().at <= datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    tomorrow = LearnerDay(learner, TOMORROW)
    assert production in tomorrow.queue()
    assert tomorrow.deck_today(both_ways.pk).new_count == 1


def test_undoing_the_only_review_of_the_day_brings_the_siblings_back(learner, both_ways):
    phrase = add_phrase(both_ways)
    recognition = phrase.cards.get(direction="recognition")
    production = phrase.cards.get(direction="production")
    recognition.review(Rating.GOOD, learner=learner, now=NOON)
    session = ReviewSession(learner, since=NOON - timedelta(minutes=1), now=NOON)
    session.undo(ReviewLog.objects.get().pk)
    production.refresh_from_db()
    assert production.buried_until is None
    assert production in LearnerDay(learner, NOON).queue()


def test_undoing_one_of_two_reviews_of_the_day_keeps_the_siblings_buried(learner, both_ways):
    phrase = add_phrase(both_ways)
    recognition = phrase.cards.get(direction="recognition")
    recognition.review(Rating.AGAIN, learner=learner, now=NOON)
    recognition.review(Rating.GOOD, learner=learner, now=NOON + timedelta(minutes=5))
    latest = ReviewLog.objects.order_by("-id").first()
    latest.undo(learner=learner)
    assert phrase.cards.get(direction="production").buried_until is not None


def test_a_grade_that_buries_a_sibling_costs_the_statements_of_any_grade(
    as_alice, learner, both_ways
):
    phrase = add_phrase(both_ways)
    add_phrase(both_ways, front="Hola", back="Hello")
    recognition = phrase.cards.get(direction="recognition")
    url = f"/review/cards/{recognition.pk}/grade/?deck={both_ways.pk}"
    # The user, the card, one UPDATE of the card and its sibling with the review log's INSERT
    # (on SQLite two statements), the deck counts, the next card.
    with CaptureQueriesContext(connection) as queries:
        as_alice.post(url, {"rating": Rating.GOOD, "version": recognition.version}, **htmx())
    statements = [q["sql"] for q in queries.captured_queries if not TRANSACTION.match(q["sql"])]
    assert len(statements) == (5 if connection.vendor == "postgresql" else 6), "\n".join(statements)
    assert phrase.cards.get(direction="production").buried_until is not None


def test_a_stale_grade_buries_no_sibling(learner, both_ways):
    phrase = add_phrase(both_ways)
    recognition = phrase.cards.get(direction="recognition")
    production = phrase.cards.get(direction="production")
    seen = recognition.version
    recognition.review(Rating.GOOD, learner=learner, now=NOON)
    ReviewLog.objects.get().undo(learner=learner)  # the sibling comes back

    # The same grade again (a retry that arrives after the undo): it changes nothing.
    with pytest.raises(StaleReview):
        recognition.review(Rating.GOOD, learner=learner, now=NOON, version=seen)

    production.refresh_from_db()
    assert production.buried_until is None
