"""Typing the answer: a deck option makes production cards typed; the answer step compares
what was typed with the phrase and pre-selects the grade the comparison suggests."""

import re

import pytest

from cards.models import Deck, ReviewLog
from cards.review_forms import MAX_TYPED
from conftest import auth_headers, htmx, make_card

pytestmark = pytest.mark.django_db

WHERE = "¿Dónde está?"


@pytest.fixture
def typed_deck(alice):
    return Deck.objects.create(
        owner=alice,
        name="Spanish",
        front_lang="es",
        back_lang="en",
        directions=["recognition", "production"],
        typed_answers=True,
    )


@pytest.fixture
def card(typed_deck):
    return make_card(typed_deck, front=WHERE, back="Where is it?", direction="production")


def answer(client, card, typed=None, **extra):
    params = {} if typed is None else {"typed": typed}
    url = f"/review/cards/{card.pk}/answer/?since=1&deck={card.deck_id}"
    return client.get(url, params, **htmx(HTTP_HX_TARGET="review-card", **extra))


def suggested(html: str) -> str:
    """The grade the answer pre-selects."""
    (rating,) = re.findall(r'data-review-suggested[^>]*data-review-grade="(\d)"', html)
    return rating


def test_it_keeps_the_option_off_for_existing_and_new_decks(deck):
    assert Deck.objects.get(pk=deck.pk).typed_answers is False


def test_the_deck_form_turns_typed_answers_on_and_off(as_alice, deck):
    url = f"/decks/{deck.pk}/edit/"
    page = as_alice.get(url, **htmx()).content.decode()
    assert "Type the answer on production cards" in page
    data = {"name": "Spanish", "front_lang": "es", "directions": ["recognition", "production"]}
    data |= {"new_cards_per_day": 20, "reviews_per_day": 200}
    as_alice.post(url, {**data, "typed_answers": "on"}, **htmx())
    assert Deck.objects.get(pk=deck.pk).typed_answers is True
    as_alice.post(url, data, **htmx())
    assert Deck.objects.get(pk=deck.pk).typed_answers is False


def test_the_question_of_a_typed_card_is_the_meaning_and_an_input(as_alice, card):
    html = as_alice.get("/review/", **htmx()).content.decode()
    assert "Where is it?" in html
    assert WHERE not in html
    (field,) = re.findall(r"<input [^>]*name=\"typed\"[^>]*>", html)
    for attribute in (
        "autofocus",
        'enterkeyhint="done"',
        'autocomplete="off"',
        'autocapitalize="off"',
        'spellcheck="false"',
        'lang="es"',
        'dir="auto"',
        f'maxlength="{MAX_TYPED}"',
    ):
        assert attribute in field
    assert "required" not in field  # empty is "I don't know"
    assert 'data-tg-main-button="Check"' in html
    # A GET form: the session's parameters ride as fields.
    assert 'method="get"' in html
    assert 'name="since"' in html
    assert f'name="deck" value="{card.deck_id}"' not in html  # all decks: no deck


def test_a_production_card_without_the_option_and_a_recognition_card_are_not_typed(
    as_alice, deck, typed_deck
):
    make_card(deck, front="hola", back="hello", direction="production")
    html = as_alice.get(f"/decks/{deck.pk}/review/", **htmx()).content.decode()
    assert 'name="typed"' not in html
    assert "Show answer" in html
    make_card(typed_deck, front="adiós", back="bye", direction="recognition")
    html = as_alice.get(f"/decks/{typed_deck.pk}/review/", **htmx()).content.decode()
    assert 'name="typed"' not in html


def test_the_answer_shows_the_accents_of_donde_esta_and_pre_selects_hard(as_alice, card):
    response = answer(as_alice, card, "Donde esta")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-typed-check="2"' in html
    assert '<span class="almost">o</span>' in html
    assert '<span class="almost">ó</span>' in html
    assert suggested(html) == "2"
    assert 'data-tg-main-button="Hard"' in html
    assert 'data-tg-main-click="[data-review-suggested]"' in html
    assert "Where is it?" in html  # the meaning stays on screen
    assert html.count("data-review-grade=") == 4  # another grade may be chosen


@pytest.mark.parametrize(
    ("typed", "rating"),
    [("dónde está", "3"), ("¿DONDE ESTA?", "2"), ("donde", "1"), ("", "1")],
)
def test_the_answer_pre_selects_the_grade_the_comparison_suggests(as_alice, card, typed, rating):
    assert suggested(answer(as_alice, card, typed).content.decode()) == rating


def test_an_empty_answer_shows_everything_missing(as_alice, card):
    html = answer(as_alice, card, "").content.decode()
    assert '<span class="missing">Dónde</span>' in html
    assert '<span class="missing">está</span>' in html
    assert ">nothing</dd>" in html


def test_a_too_long_answer_is_a_form_error_that_keeps_the_text(as_alice, card):
    typed = "a" * (MAX_TYPED + 1)
    response = answer(as_alice, card, typed)
    html = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" in html
    assert f'value="{typed}"' in html
    assert "data-review-question" in html
    assert "data-review-answer" not in html


def test_the_answer_outside_the_card_swap_is_the_whole_screen_with_the_comparison(as_alice, card):
    url = f"/review/cards/{card.pk}/answer/?since=1&typed=Donde+esta"
    html = as_alice.get(url, **htmx()).content.decode()
    assert 'class="screen review"' in html
    assert 'data-typed-check="2"' in html
    assert suggested(html) == "2"


def test_the_answer_escapes_what_was_typed(as_alice, card):
    html = answer(as_alice, card, "<script>x</script>").content.decode()
    assert "<script>" not in html
    assert html.count("&lt;") == 2


def test_an_arabic_and_emoji_answer_runs_right_to_left_and_keeps_the_emoji(as_alice, alice):
    deck = Deck.objects.create(
        owner=alice, name="Arabic", front_lang="ar", directions=["production"], typed_answers=True
    )
    card = make_card(deck, front="كِتَابٌ 👍🏽", back="a book, thumbs up", direction="production")
    html = answer(as_alice, card, "كتاب 👍").content.decode()
    assert html.count('dir="auto" lang="ar"') == 2
    assert '<span class="almost">👍🏽</span>' in html
    assert suggested(html) == "2"


def test_a_typed_answer_is_graded_as_any_other(as_alice, card):
    html = answer(as_alice, card, "Donde esta").content.decode()
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    data = {"rating": 3, "version": version, "duration_ms": 5000}  # not the suggested Hard
    as_alice.post(f"/review/cards/{card.pk}/grade/?since=1", data, **htmx())
    assert ReviewLog.objects.get().rating == 3


def test_the_answer_step_only_reads(as_alice, card):
    assert as_alice.post(f"/review/cards/{card.pk}/answer/", {"typed": "x"}).status_code == 405


def test_another_learners_typed_card_is_a_404(client, bob, card):
    assert answer(client, card, "x", headers=auth_headers(bob)).status_code == 404


def test_the_typed_answer_keeps_the_reviews_query_budget(
    as_alice, card, django_assert_max_num_queries
):
    # The user and the card; the deck and the phrase come with the card.
    with django_assert_max_num_queries(2):
        answer(as_alice, card, "Donde esta")


def test_the_typed_answer_is_under_4_kb(as_alice, typed_deck):
    card = make_card(
        typed_deck,
        front="¿Dónde está la estación de autobuses más cercana?",
        back="Where is the nearest bus station?",
        direction="production",
        example="Un ejemplo bastante largo " * 4,
        notes="Nota " * 20,
    )
    response = answer(as_alice, card, "Donde esta la estacion de trenes mas cercana por favor")
    assert len(response.content) < 4096
