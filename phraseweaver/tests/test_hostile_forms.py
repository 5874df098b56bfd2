"""Hostile input at every form (hypothesis): whatever a client posts, a learner's form answers
with the page, a redirect, a 400 or a 404 — never a 500.

The test client re-raises a view's exception, so a 500 fails these tests with its traceback.
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cards.models import Deck
from conftest import htmx, make_card

# Text that a form post can carry (the test client encodes it as UTF-8: no lone surrogates).
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=1200)
NUMBERISH = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e309", "nan", "0x10", "٣", "9" * 30, "1.5", "1,5"]),
)
VALUES = st.one_of(TEXT, NUMBERISH)
ANSWERS = (200, 302, 400, 404)  # 404: an id in the input that is not yours

HOSTILE = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])


@pytest.fixture
def card(deck):
    return make_card(deck=deck, front="hola", back="hello")


def fields(*names):
    return st.fixed_dictionaries({name: VALUES for name in names})


@HOSTILE
@given(form=fields("rating", "version", "duration_ms"), query=fields("since", "deck"))
@example(form={"rating": "3", "version": "0", "duration_ms": "9" * 12}, query={})
@example(form={"rating": "3", "version": "0", "duration_ms": "1"}, query={"since": "9" * 20})
def test_the_grade_post_never_fails(as_alice, card, form, query):
    response = as_alice.post(f"/review/cards/{card.pk}/grade/", form, query_params=query, **htmx())

    assert response.status_code in ANSWERS


@HOSTILE
@given(query=fields("since", "deck"))
def test_the_review_page_never_fails_on_its_query_string(as_alice, card, query):
    assert as_alice.get("/review/", query, **htmx()).status_code in ANSWERS


@HOSTILE
@given(form=fields("review"), query=fields("since", "deck"))
def test_undo_never_fails(as_alice, card, form, query):
    response = as_alice.post("/review/undo/", form, query_params=query, **htmx())

    assert response.status_code in ANSWERS


@HOSTILE
@given(form=fields("name", "front_lang", "back_lang", "description"))
def test_the_deck_forms_never_fail(as_alice, deck, form):
    assert as_alice.post("/decks/new/", form, **htmx()).status_code in ANSWERS
    assert as_alice.post(f"/decks/{deck.pk}/edit/", form, **htmx()).status_code in ANSWERS


@HOSTILE
@given(form=fields("front", "back", "example", "notes", "tags"))
def test_the_card_forms_never_fail(as_alice, deck, card, form):
    assert as_alice.post(f"/decks/{deck.pk}/cards/add/", form, **htmx()).status_code in ANSWERS
    assert as_alice.post(f"/cards/{card.pk}/edit/", form, **htmx()).status_code in ANSWERS


@HOSTILE
@given(
    form=fields(
        "interface_language",
        "desired_retention",
        "new_cards_per_day",
        "reviews_per_day",
        "time_zone",
    )
)
@example(
    form={
        "interface_language": "",
        "desired_retention": "0.9",
        "new_cards_per_day": "9" * 30,
        "reviews_per_day": "1",
        "time_zone": "UTC",
    }
)
def test_the_settings_form_never_fails(as_alice, form):
    assert as_alice.post("/settings/", form, **htmx()).status_code in ANSWERS
