import pytest

from cards.models import Card, Deck, Phrase, ReviewLog
from cards.scheduling import Rating
from conftest import auth_headers, htmx, make_card, make_cards


@pytest.fixture
def card(deck):
    return make_card(deck=deck, front="la casa", back="the house", tags="home")


@pytest.fixture
def bobs_card(bob):
    deck = Deck.objects.create(owner=bob, name="Bob's deck")
    return make_card(deck=deck, front="bob front", back="bob back")


def add_cards(deck, count):
    return make_cards(deck, count)


def row(card):
    return {"HTTP_HX_TARGET": f"phrase-{card.phrase_id}"}


# Adding


def test_adding_a_card_keeps_the_form_open_with_the_focus_on_the_front(as_alice, alice, deck):
    response = as_alice.post(
        f"/decks/{deck.pk}/phrases/add/",
        {"front": "el perro", "back": "the dog", "example": "Mi perro", "tags": "animals"},
        **htmx(HTTP_HX_TARGET="card-add"),
    )
    card = Card.objects.get()
    phrase = card.phrase
    assert (phrase.deck, card.owner, phrase.front, phrase.back, phrase.example, phrase.tags) == (
        deck,
        alice,
        "el perro",
        "the dog",
        "Mi perro",
        "animals",
    )
    text = response.text
    # The form's insides: the form itself stays, and with it any Add queued behind this one.
    assert text.lstrip().startswith("<h2>Add a phrase</h2>")
    assert "<form" not in text.split('id="card-list"')[0]
    assert 'name="front" maxlength="1000" dir="auto" autofocus' in text
    assert "Added “el perro”." in text
    # The list, the search box and the counts follow out of band.
    assert '<div id="card-list" class="card-list" hx-swap-oob="true">' in text
    assert f'id="phrase-{card.phrase_id}"' in text
    assert 'id="card-search"' in text
    assert '<div id="deck-counts" class="deck-counts" hx-swap-oob="true"' in text
    assert "1 card" in text


def test_the_new_card_shows_first_in_the_list(as_alice, deck, card):
    response = as_alice.post(
        f"/decks/{deck.pk}/phrases/add/", {"front": "nuevo", "back": "new"}, **htmx()
    )
    list_part = response.text.split('id="card-list"')[1]
    assert list_part.index("nuevo") < list_part.index("la casa")


def test_a_plain_post_adds_the_card_and_redirects_to_the_deck(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/phrases/add/", {"front": "f", "back": "b"})
    assert (response.status_code, response["Location"]) == (302, f"/decks/{deck.pk}/")
    assert Card.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"front": "f" * 1001, "back": "b"}, "at most 1000 characters (it has 1001)"),
        ({"front": "f", "back": "b" * 1001}, "at most 1000 characters (it has 1001)"),
        ({"front": "", "back": "b"}, "This field is required."),
        ({"front": "   ", "back": "b"}, "This field is required."),
        ({"front": "f", "back": "b", "example": "e" * 2001}, "at most 2000 characters"),
        ({"front": "f", "back": "b", "tags": "t" * 501}, "at most 500 characters"),
    ],
)
def test_a_bad_card_is_rejected_with_a_message_and_keeps_the_input(as_alice, deck, data, message):
    response = as_alice.post(f"/decks/{deck.pk}/phrases/add/", data, **htmx())
    assert response.status_code == 200
    assert message in response.text
    assert f'value="{data["back"]}"' in response.text
    assert not Card.objects.exists()


def test_a_bad_card_in_a_plain_post_shows_the_deck_page_with_the_message(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/phrases/add/", {"front": "f" * 1001, "back": "b"})
    assert response.status_code == 200
    assert b"<html" in response.content
    assert "at most 1000 characters" in response.text
    assert not Card.objects.exists()


def test_adding_needs_a_post(as_alice, deck):
    assert as_alice.get(f"/decks/{deck.pk}/phrases/add/", **htmx()).status_code == 405


def test_user_text_is_escaped_everywhere_it_shows(as_alice, deck):
    script = "<script>alert(1)</script>"
    added = as_alice.post(
        f"/decks/{deck.pk}/phrases/add/",
        {"front": script, "back": script, "example": script, "tags": script},
        **htmx(),
    )
    card = Card.objects.get()
    pages = [
        added,
        as_alice.get(f"/decks/{deck.pk}/", **htmx()),
        as_alice.get(f"/decks/{deck.pk}/"),
        as_alice.get(f"/phrases/{card.phrase_id}/", **htmx(**row(card))),
        as_alice.get(f"/phrases/{card.phrase_id}/edit/", **htmx(**row(card))),
    ]
    for page in pages:
        assert script not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


@pytest.mark.parametrize("count", [1, 50])
def test_adding_costs_the_same_queries_for_any_number_of_cards(
    as_alice, deck, count, django_assert_max_num_queries
):
    add_cards(deck, count)
    # The user, the deck, the same front?, the phrase and its cards (two inserts in a
    # savepoint), then the deck's counts, the count of the list, the list and its cards.
    with django_assert_max_num_queries(11):
        as_alice.post(f"/decks/{deck.pk}/phrases/add/", {"front": "f", "back": "b"}, **htmx())
    with django_assert_max_num_queries(2):
        as_alice.post(f"/decks/{deck.pk}/phrases/add/", {"front": "", "back": "b"}, **htmx())


# A front already in the deck


def add(client, deck, **data):
    return client.post(f"/decks/{deck.pk}/phrases/add/", data, **htmx(HTTP_HX_TARGET="card-add"))


def test_adding_a_front_already_in_the_deck_says_so_and_adds_nothing(as_alice, deck, card):
    response = add(as_alice, deck, front="  La Casa ", back="home", tags="new")
    assert list(Card.objects.all()) == [card]
    text = response.text
    # The add form's fields come back (the form keeps its place: see static/js/app.js).
    assert text.lstrip().startswith("<h2>Add a phrase</h2>")
    assert "This deck already has" in text
    assert f'href="/phrases/{card.phrase_id}/edit/"' in text  # a link to the card it has
    assert ">la casa</a>" in text
    assert '<button type="submit" name="duplicate" value="add"' in text
    assert 'value="  La Casa "' in text and 'value="new"' in text  # nothing typed is lost
    assert "Added" not in text


def test_a_front_that_differs_only_in_accents_and_case_is_the_same_front(as_alice, deck):
    make_card(deck=deck, front="Adiós", back="bye")
    assert "This deck already has" in add(as_alice, deck, front="ADIOS", back="bye").text


def test_the_learner_can_add_the_same_front_anyway(as_alice, deck, card):
    response = add(as_alice, deck, front="la casa", back="home", duplicate="add")
    assert Card.objects.filter(phrase__front="la casa").count() == 2
    assert "Added “la casa”." in response.text
    assert "This deck already has" not in response.text


def test_a_front_in_another_deck_is_no_duplicate(as_alice, alice, deck, card):
    other = Deck.objects.create(owner=alice, name="Other")
    response = add(as_alice, other, front="la casa", back="the house")
    assert "Added “la casa”." in response.text
    assert other.phrases.count() == 1


def test_a_plain_post_of_a_front_already_in_the_deck_asks_on_the_deck_page(as_alice, deck, card):
    response = as_alice.post(f"/decks/{deck.pk}/phrases/add/", {"front": "la casa", "back": "x"})
    assert response.status_code == 200
    assert "This deck already has" in response.text
    assert Card.objects.count() == 1


# The row, editing


def test_a_cards_row_comes_back_for_the_edit_forms_cancel(as_alice, card):
    response = as_alice.get(f"/phrases/{card.phrase_id}/", **htmx(**row(card)))
    assert response.text.lstrip().startswith(f'<li id="phrase-{card.phrase_id}" class="card-row">')
    assert "la casa" in response.text


def test_a_cards_url_outside_its_row_leads_to_its_deck(as_alice, card):
    response = as_alice.get(f"/phrases/{card.phrase_id}/")
    assert (response.status_code, response["Location"]) == (302, f"/decks/{card.deck_id}/")


def test_the_edit_form_replaces_the_row(as_alice, card):
    response = as_alice.get(f"/phrases/{card.phrase_id}/edit/", **htmx(**row(card)))
    text = response.text
    assert text.lstrip().startswith(f'<li id="phrase-{card.phrase_id}" class="card-row editing">')
    assert 'value="la casa"' in text
    assert f'id="phrase{card.phrase_id}-front"' in text
    assert f'hx-get="/phrases/{card.phrase_id}/"' in text  # cancel


def test_the_edit_form_is_also_a_screen_and_a_full_page(as_alice, card):
    full = as_alice.get(f"/phrases/{card.phrase_id}/edit/")
    assert b"<html" in full.content
    screen = as_alice.get(f"/phrases/{card.phrase_id}/edit/", **htmx(HTTP_HX_TARGET="app"))
    assert f'data-tg-back="/decks/{card.deck_id}/"' in screen.text
    assert f'data-tg-main-click="#phrase{card.phrase_id}-save"' in screen.text


def test_saving_an_edit_shows_the_row_again(as_alice, card):
    response = as_alice.post(
        f"/phrases/{card.phrase_id}/edit/",
        {"front": "la casita", "back": "the little house", "tags": "home small"},
        **htmx(**row(card)),
    )
    card.phrase.refresh_from_db()
    assert (card.phrase.front, card.phrase.back, card.phrase.tags) == (
        "la casita",
        "the little house",
        "home small",
    )
    assert response.text.lstrip().startswith(f'<li id="phrase-{card.phrase_id}" class="card-row">')
    assert "la casita" in response.text


def test_a_plain_edit_redirects_to_the_deck(as_alice, card):
    response = as_alice.post(f"/phrases/{card.phrase_id}/edit/", {"front": "x", "back": "y"})
    assert (response.status_code, response["Location"]) == (302, f"/decks/{card.deck_id}/")


def test_a_bad_edit_keeps_the_typed_text_and_the_card(as_alice, card):
    response = as_alice.post(
        f"/phrases/{card.phrase_id}/edit/",
        {"front": "typed", "back": "b" * 1001},
        **htmx(**row(card)),
    )
    assert "at most 1000 characters" in response.text
    assert 'value="typed"' in response.text
    card.phrase.refresh_from_db()
    assert (card.phrase.front, card.phrase.back) == ("la casa", "the house")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_editing_refuses_other_methods(as_alice, card, method):
    assert (
        getattr(as_alice, method)(f"/phrases/{card.phrase_id}/edit/", **htmx()).status_code == 405
    )


@pytest.mark.parametrize("count", [1, 50])
def test_editing_costs_the_same_queries_for_any_number_of_cards(
    as_alice, deck, card, count, django_assert_max_num_queries
):
    add_cards(deck, count)
    # The user, the phrase, its cards (the directions).
    with django_assert_max_num_queries(3):
        as_alice.get(f"/phrases/{card.phrase_id}/edit/", **htmx(**row(card)))
    # The user, the phrase, the update, then the row: the phrase and its cards.
    with django_assert_max_num_queries(5):
        as_alice.post(
            f"/phrases/{card.phrase_id}/edit/", {"front": "a", "back": "b"}, **htmx(**row(card))
        )


# Suspending


def test_suspending_toggles(as_alice, card):
    first = as_alice.post(f"/cards/{card.pk}/suspend/", **htmx(**row(card)))
    card.refresh_from_db()
    assert card.suspended
    assert '<div class="direction suspended">' in first.text
    assert "Unsuspend" in first.text
    assert "Suspended" in first.text
    # The deck's counts follow: no new card left to study.
    assert "0 new" in first.text
    assert 'hx-swap-oob="true"' in first.text
    assert "data-tg-main-button" not in first.text

    second = as_alice.post(f"/cards/{card.pk}/suspend/", **htmx(**row(card)))
    card.refresh_from_db()
    assert not card.suspended
    assert "Unsuspend" not in second.text
    assert "1 new" in second.text
    assert 'data-tg-main-button="Study"' in second.text


def test_a_plain_suspend_redirects_to_the_deck(as_alice, card):
    response = as_alice.post(f"/cards/{card.pk}/suspend/")
    assert (response.status_code, response["Location"]) == (302, f"/decks/{card.deck_id}/")
    card.refresh_from_db()
    assert card.suspended


def test_suspending_needs_a_post(as_alice, card):
    assert as_alice.get(f"/cards/{card.pk}/suspend/", **htmx()).status_code == 405
    card.refresh_from_db()
    assert not card.suspended


@pytest.mark.parametrize("count", [1, 50])
def test_suspending_costs_the_same_queries_for_any_number_of_cards(
    as_alice, deck, card, count, django_assert_max_num_queries
):
    add_cards(deck, count)
    # The user, the card, the update, the phrase's row (the phrase, its cards), the counts.
    with django_assert_max_num_queries(6):
        as_alice.post(f"/cards/{card.pk}/suspend/", **htmx(**row(card)))


# Deleting


def test_deleting_a_card_removes_its_row_and_history(as_alice, deck, card, alice):
    other = make_card(deck=deck, front="el gato", back="the cat")
    card.review(Rating.GOOD, learner=alice)
    response = as_alice.post(f"/phrases/{card.phrase_id}/delete/", **htmx(**row(card)))
    assert list(Card.objects.all()) == [other]
    assert list(Phrase.objects.all()) == [other.phrase]
    assert not ReviewLog.objects.exists()
    # Nothing for the row (it disappears); the counts out of band.
    assert "<li" not in response.text
    assert '<div id="deck-counts" class="deck-counts" hx-swap-oob="true"' in response.text
    assert "1 card" in response.text


def test_deleting_the_last_card_shows_the_empty_list(as_alice, card):
    response = as_alice.post(f"/phrases/{card.phrase_id}/delete/", **htmx(**row(card)))
    assert '<div id="card-list" class="card-list" hx-swap-oob="true">' in response.text
    assert "No phrases yet" in response.text


def test_the_delete_button_asks_for_confirmation(as_alice, card):
    response = as_alice.get(f"/phrases/{card.phrase_id}/", **htmx(**row(card)))
    assert (
        'data-confirm="Delete the phrase “la casa” with all its cards and their history?"'
        in response.text
    )


def test_a_plain_delete_redirects_to_the_deck(as_alice, card):
    response = as_alice.post(f"/phrases/{card.phrase_id}/delete/")
    assert (response.status_code, response["Location"]) == (302, f"/decks/{card.deck_id}/")
    assert not Card.objects.exists()


def test_deleting_needs_a_post(as_alice, card):
    assert as_alice.get(f"/phrases/{card.phrase_id}/delete/", **htmx()).status_code == 405
    assert Card.objects.filter(pk=card.pk).exists()


@pytest.mark.parametrize("count", [1, 50])
def test_deleting_costs_the_same_queries_for_any_number_of_cards(
    as_alice, deck, card, count, django_assert_max_num_queries
):
    add_cards(deck, count)
    # One more than a card's deletion: the phrase's cards go with it.
    with django_assert_max_num_queries(7):
        as_alice.post(f"/phrases/{card.phrase_id}/delete/", **htmx(**row(card)))


# Another learner's card


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/phrases/{}/", {}),
        ("get", "/phrases/{}/edit/", {}),
        ("post", "/phrases/{}/edit/", {"front": "hacked", "back": "hacked"}),
        ("post", "/phrases/{}/delete/", {}),
        ("post", "/phrases/{}/directions/add/", {"direction": "production"}),
        ("post", "/cards/{}/suspend/", {}),
        ("post", "/cards/{}/delete/", {}),
    ],
)
def test_another_learners_card_is_404_on_every_url_and_changes_nothing(
    as_alice, bobs_card, method, path, data
):
    for extra in ({}, htmx(**row(bobs_card))):
        response = getattr(as_alice, method)(path.format(bobs_card.pk), data, **extra)
        assert response.status_code == 404
    bobs_card.refresh_from_db()
    bobs_card.phrase.refresh_from_db()
    assert (bobs_card.phrase.front, bobs_card.suspended) == ("bob front", False)
    assert bobs_card.phrase.cards.count() == 1


# Languages


def test_the_card_row_and_form_speak_russian(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Слова")
    card = make_card(deck=deck, front="hola", back="привет")
    headers = auth_headers(ivan)
    row_text = client.get(f"/phrases/{card.phrase_id}/", headers=headers, **htmx(**row(card))).text
    assert "Приостановить" in row_text
    form_text = client.get(
        f"/phrases/{card.phrase_id}/edit/", headers=headers, **htmx(**row(card))
    ).text
    assert "Лицевая сторона" in form_text
    too_long = client.post(
        f"/phrases/{card.phrase_id}/edit/",
        {"front": "f" * 1001, "back": "b"},
        headers=headers,
        **htmx(),
    ).text
    assert "не более 1000 символов" in too_long
