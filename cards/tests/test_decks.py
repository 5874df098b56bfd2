import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cards.models import Card, Deck, ReviewLog
from cards.scheduling import Rating
from conftest import auth_headers, htmx, make_card, make_cards


@pytest.fixture
def bobs_deck(bob):
    deck = Deck.objects.create(owner=bob, name="Bob's deck")
    make_card(deck=deck, front="bob front", back="bob back")
    return deck


def add_cards(deck, count, **fields):
    return make_cards(deck, count, **fields)


# Creating a deck


def test_the_new_deck_page_is_a_full_page_and_a_partial(as_alice):
    page = as_alice.get("/decks/new/")
    assert page.status_code == 200
    assert b"<html" in page.content
    partial = as_alice.get("/decks/new/", **htmx())
    assert b"<html" not in partial.content
    assert b'data-tg-back="/"' in partial.content
    assert b'data-tg-main-button="Save" data-tg-main-click="#deck-save"' in partial.content
    assert b'id="deck-save"' in partial.content


def test_the_front_and_back_languages_are_a_select_of_named_languages(as_alice):
    response = as_alice.get("/decks/new/", **htmx())
    assert b'<option value="es">Spanish</option>' in response.content
    assert b'<option value="" selected>Not set</option>' in response.content


def test_creating_a_deck_opens_it(as_alice, alice):
    response = as_alice.post(
        "/decks/new/",
        {
            "name": "German",
            "front_lang": "de",
            "back_lang": "en",
            "description": "Phrases",
            "directions": ["recognition", "production"],
        },
        **htmx(),
    )
    deck = Deck.objects.get()
    assert (deck.owner, deck.name, deck.front_lang, deck.back_lang, deck.description) == (
        alice,
        "German",
        "de",
        "en",
        "Phrases",
    )
    assert json.loads(response["HX-Location"]) == {"path": f"/decks/{deck.pk}/", "target": "#app"}


def test_a_plain_post_redirects_to_the_new_deck(as_alice):
    response = as_alice.post("/decks/new/", {"name": "German", "directions": "recognition"})
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{Deck.objects.get().pk}/"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, b"This field is required."),
        ({"name": "x" * 101}, b"Ensure this value has at most 100 characters (it has 101)."),
        ({"name": "ok", "description": "d" * 2001}, b"at most 2000 characters"),
        ({"name": "ok", "front_lang": "xx"}, b"Select a valid choice."),
    ],
)
def test_a_bad_deck_is_rejected_with_a_message_and_keeps_the_input(as_alice, data, message):
    response = as_alice.post("/decks/new/", data, **htmx())
    assert response.status_code == 200
    assert message in response.content
    assert f'value="{data["name"]}"'.encode() in response.content
    assert not Deck.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_new_deck_page_refuses_other_methods(as_alice, method):
    assert getattr(as_alice, method)("/decks/new/", **htmx()).status_code == 405


# The deck page


def test_the_deck_page_is_a_full_page_and_a_partial(as_alice, deck):
    add_cards(deck, 1)
    page = as_alice.get(f"/decks/{deck.pk}/")
    assert page.status_code == 200
    assert b"<html" in page.content
    assert b"<title>Spanish" in page.content
    partial = as_alice.get(f"/decks/{deck.pk}/", **htmx(HTTP_HX_TARGET="app"))
    assert b"<html" not in partial.content
    assert b'class="screen deck" data-tg-back="/"' in partial.content
    assert b"Spanish \xe2\x86\x92 English" in partial.content  # "Spanish → English"
    assert b"front 0" in partial.content


def test_the_deck_page_links_to_studying_it_and_studies_on_the_main_button(as_alice, deck):
    add_cards(deck, 1)
    response = as_alice.get(f"/decks/{deck.pk}/", **htmx())
    assert f'href="/decks/{deck.pk}/review/"'.encode() in response.content
    assert b'data-tg-main-button="Study" data-tg-main-click="#study-deck"' in response.content


def test_with_nothing_due_the_deck_still_links_to_study_but_has_no_main_button(as_alice, deck):
    later = timezone.now() + timedelta(days=2)
    add_cards(deck, 1, due=later, last_review=timezone.now())
    add_cards(deck, 1, suspended=True)
    response = as_alice.get(f"/decks/{deck.pk}/", **htmx())
    assert f'href="/decks/{deck.pk}/review/"'.encode() in response.content
    assert b"data-tg-main-button" not in response.content
    assert b"2 cards" in response.content


def test_the_deck_page_is_404_for_another_learners_deck(as_alice, bobs_deck):
    assert as_alice.get(f"/decks/{bobs_deck.pk}/").status_code == 404
    assert as_alice.get(f"/decks/{bobs_deck.pk}/", **htmx()).status_code == 404


def test_the_deck_page_refuses_post(as_alice, deck):
    assert as_alice.post(f"/decks/{deck.pk}/", **htmx()).status_code == 405


def test_a_plain_load_of_a_deck_without_init_data_gets_the_shell(client, deck):
    response = client.get(f"/decks/{deck.pk}/")
    assert b"data-shell" in response.content
    assert b"Spanish" not in response.content


def test_the_description_and_name_are_escaped(as_alice, alice):
    deck = Deck.objects.create(owner=alice, name="<b>bold</b>", description="<i>x</i>\nline")
    response = as_alice.get(f"/decks/{deck.pk}/", **htmx())
    assert b"<b>bold</b>" not in response.content
    assert b"&lt;i&gt;x&lt;/i&gt;<br>line" in response.content


# Search and pagination


@pytest.fixture
def words(deck):
    make_card(deck=deck, front="la casa", back="the house", tags="home")
    make_card(deck=deck, front="el perro", back="the dog", example="Mi perro ladra")
    make_card(deck=deck, front="el gato", back="the cat", tags="animals pets")


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("casa", ["la casa"]),  # front
        ("DOG", ["el perro"]),  # back, any case
        ("ladra", ["el perro"]),  # example
        ("pets", ["el gato"]),  # tags
        ("the", ["el gato", "el perro", "la casa"]),
        ("  gato ", ["el gato"]),
    ],
)
def test_the_search_looks_in_front_back_example_and_tags(as_alice, deck, words, q, found):
    response = as_alice.get(f"/decks/{deck.pk}/", {"q": q}, **htmx(HTTP_HX_TARGET="card-list"))
    listed = [front for front in ("el gato", "el perro", "la casa") if front in response.text]
    assert listed == found


def test_the_live_search_gets_only_the_card_list(as_alice, deck, words):
    response = as_alice.get(f"/decks/{deck.pk}/?q=gato", **htmx(HTTP_HX_TARGET="card-list"))
    assert response.text.lstrip().startswith('<div id="card-list"')
    assert b"1 phrase found" in response.content
    assert b"Add a card" not in response.content


def test_the_search_input_searches_live(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/", **htmx())
    assert b'hx-trigger="input changed delay:300ms, search"' in response.content
    assert b'hx-target="#card-list"' in response.content


def test_a_search_without_results_says_so_with_the_query_escaped(as_alice, deck, words):
    response = as_alice.get(
        f"/decks/{deck.pk}/", {"q": "<zzz>"}, **htmx(HTTP_HX_TARGET="card-list")
    )
    assert "No phrases match “&lt;zzz&gt;”.".encode() in response.content


def test_the_card_list_has_50_cards_a_page_newest_first(as_alice, deck):
    add_cards(deck, 120)
    first = as_alice.get(f"/decks/{deck.pk}/", **htmx())
    assert first.text.count('class="card-row') == 50
    assert "front 119" in first.text
    assert "front 69<" not in first.text
    assert b"Page 1 of 3" in first.content
    assert f'href="/decks/{deck.pk}/?page=2"'.encode() in first.content

    last = as_alice.get(f"/decks/{deck.pk}/?page=3", **htmx(HTTP_HX_TARGET="card-list"))
    assert last.text.count('class="card-row') == 20
    assert "front 0<" in last.text
    assert b'rel="next"' not in last.content


def test_pagination_keeps_the_search(as_alice, deck):
    add_cards(deck, 60)
    response = as_alice.get(f"/decks/{deck.pk}/?q=front", **htmx(HTTP_HX_TARGET="card-list"))
    assert f'href="/decks/{deck.pk}/?q=front&amp;page=2"'.encode() in response.content


@pytest.mark.parametrize("page", ["0", "99", "abc", "-1"])
def test_a_bad_page_number_shows_a_page_rather_than_an_error(as_alice, deck, page):
    add_cards(deck, 60)
    response = as_alice.get(f"/decks/{deck.pk}/?page={page}", **htmx())
    assert response.status_code == 200
    assert 'class="card-row' in response.text


@pytest.mark.parametrize("count", [1, 50])
def test_the_deck_page_costs_the_same_queries_for_any_number_of_cards(
    as_alice, alice, deck, count, django_assert_max_num_queries
):
    add_cards(deck, count)
    for i in range(count):
        Deck.objects.create(owner=alice, name=f"Other {i}")
    # The user, the deck with its counts, today's progress, the card count, the page.
    with django_assert_max_num_queries(5):
        assert as_alice.get(f"/decks/{deck.pk}/", **htmx()).status_code == 200
    with django_assert_max_num_queries(5):
        assert as_alice.get(f"/decks/{deck.pk}/").status_code == 200
    with django_assert_max_num_queries(5):
        response = as_alice.get(f"/decks/{deck.pk}/?q=front", **htmx(HTTP_HX_TARGET="card-list"))
        assert response.status_code == 200


# Renaming


def test_the_edit_page_is_a_full_page_and_a_partial(as_alice, deck):
    assert b"<html" in as_alice.get(f"/decks/{deck.pk}/edit/").content
    partial = as_alice.get(f"/decks/{deck.pk}/edit/", **htmx())
    assert b"<html" not in partial.content
    assert b'value="Spanish"' in partial.content
    assert b'<option value="es" selected>Spanish</option>' in partial.content
    assert f'data-tg-back="/decks/{deck.pk}/"'.encode() in partial.content


def test_renaming_a_deck_returns_to_it(as_alice, deck):
    response = as_alice.post(
        f"/decks/{deck.pk}/edit/",
        {"name": "Español", "front_lang": "es", "back_lang": "ru", "directions": "recognition"},
        **htmx(),
    )
    deck.refresh_from_db()
    assert (deck.name, deck.back_lang) == ("Español", "ru")
    assert json.loads(response["HX-Location"])["path"] == f"/decks/{deck.pk}/"


def test_a_bad_rename_keeps_the_deck_and_says_why(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/edit/", {"name": "n" * 101}, **htmx())
    assert b"at most 100 characters" in response.content
    deck.refresh_from_db()
    assert deck.name == "Spanish"


def test_an_imported_language_code_stays_selectable(as_alice, alice):
    deck = Deck.objects.create(owner=alice, name="Latin", front_lang="la")
    assert (
        b'<option value="la" selected>la</option>'
        in as_alice.get(f"/decks/{deck.pk}/edit/", **htmx()).content
    )
    as_alice.post(
        f"/decks/{deck.pk}/edit/",
        {"name": "Latin!", "front_lang": "la", "directions": "recognition"},
        **htmx(),
    )
    deck.refresh_from_db()
    assert (deck.name, deck.front_lang) == ("Latin!", "la")


def test_the_delete_button_asks_for_confirmation(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/edit/", **htmx())
    assert 'data-confirm="Delete the deck “Spanish”'.encode() in response.content


@pytest.mark.parametrize("count", [1, 50])
def test_the_edit_page_costs_the_same_queries_for_any_number_of_cards(
    as_alice, deck, count, django_assert_max_num_queries
):
    add_cards(deck, count)
    with django_assert_max_num_queries(2):
        assert as_alice.get(f"/decks/{deck.pk}/edit/", **htmx()).status_code == 200
    with django_assert_max_num_queries(3):
        as_alice.post(
            f"/decks/{deck.pk}/edit/", {"name": "New name", "directions": "recognition"}, **htmx()
        )


# Deleting


def test_deleting_a_deck_deletes_its_cards_and_their_history(as_alice, alice, deck):
    cards = add_cards(deck, 3)
    cards[0].review(Rating.GOOD, learner=alice)
    other = Deck.objects.create(owner=alice, name="Kept")
    kept = make_card(deck=other, front="kept", back="kept")

    response = as_alice.post(f"/decks/{deck.pk}/delete/", **htmx())

    assert json.loads(response["HX-Location"]) == {"path": "/", "target": "#app"}
    assert not Deck.objects.filter(pk=deck.pk).exists()
    assert list(Card.objects.all()) == [kept]
    assert not ReviewLog.objects.exists()


def test_a_plain_delete_redirects_home(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, "/")


def test_deleting_needs_a_post(as_alice, deck):
    assert as_alice.get(f"/decks/{deck.pk}/delete/", **htmx()).status_code == 405
    assert Deck.objects.filter(pk=deck.pk).exists()


@pytest.mark.parametrize("count", [1, 50])
def test_deleting_costs_the_same_queries_for_any_number_of_cards(
    as_alice, deck, count, django_assert_max_num_queries, alice
):
    for card in add_cards(deck, count):
        card.review(Rating.GOOD, learner=alice)
    # The user, the deck, its phrases' media names (their files go once it commits), its
    # phrases' and cards' ids, its import jobs' ids, then one DELETE per table (logs, cards,
    # phrases, share, deck), and one UPDATE letting the bot's card drafts go of the deck.
    with django_assert_max_num_queries(13):
        as_alice.post(f"/decks/{deck.pk}/delete/", **htmx())
    assert not Card.objects.exists()


# Another learner's deck


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/decks/{}/", {}),
        ("get", "/decks/{}/edit/", {}),
        ("post", "/decks/{}/edit/", {"name": "Hacked"}),
        ("post", "/decks/{}/delete/", {}),
        ("post", "/decks/{}/cards/add/", {"front": "planted", "back": "planted"}),
    ],
)
def test_another_learners_deck_is_404_on_every_url_and_changes_nothing(
    as_alice, bobs_deck, method, path, data
):
    for extra in ({}, htmx()):
        response = getattr(as_alice, method)(path.format(bobs_deck.pk), data, **extra)
        assert response.status_code == 404
    bobs_deck.refresh_from_db()
    assert bobs_deck.name == "Bob's deck"
    assert list(bobs_deck.phrases.values_list("front", flat=True)) == ["bob front"]


def test_a_missing_deck_is_404(as_alice):
    assert as_alice.get("/decks/987654/", **htmx()).status_code == 404


# Languages


def test_a_russian_speaking_learner_sees_the_deck_in_russian(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Испанский", front_lang="es", back_lang="ru")
    add_cards(deck, 5)
    response = client.get(f"/decks/{deck.pk}/", headers=auth_headers(ivan), **htmx())
    text = response.content.decode()
    assert "Добавить фразу" in text
    assert "5 карточек" in text
    assert "Испанский → Русский" in text


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 карточка"), (2, "2 карточки"), (5, "5 карточек"), (21, "21 карточка")],
)
def test_russian_card_counts_use_the_right_plural(client, make_user, db, count, words):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Слова")
    add_cards(deck, count)
    response = client.get(f"/decks/{deck.pk}/", headers=auth_headers(ivan), **htmx())
    assert words in response.content.decode()


def test_the_new_deck_form_speaks_russian(client, make_user, db):
    ivan = make_user(333, "Иван", language_code="ru")
    response = client.get("/decks/new/", headers=auth_headers(ivan), **htmx())
    text = response.content.decode()
    assert "Новая колода" in text
    assert '<option value="de">Немецкий</option>' in text
