"""Finding cards: case and accents ignored the same way on SQLite and PostgreSQL, inside a deck
and across all decks from home, with a tag filter."""

import re

import pytest

from cards.models import Card, Deck, DeckShare
from cards.search import normalized
from conftest import htmx, make_card, sign_for

FRONT = re.compile(r'<p class="front"[^>]*>([^<]*)</p>')
WHERE = "¿Dónde está el baño?"


def fronts(response) -> list[str]:
    return sorted(FRONT.findall(response.content.decode()))


def search_deck(client, deck, **params):
    return client.get(f"/decks/{deck.pk}/", params, **htmx(HTTP_HX_TARGET="card-list"))


@pytest.fixture
def phrases(deck):
    make_card(deck=deck, front=WHERE, back="Where is the bathroom?", tags="viaje A1")
    make_card(deck=deck, front="donde", back="where", tags="Básico")
    make_card(deck=deck, front="ÉCOLE", back="school", example="L'Été", tags="fr")
    make_card(deck=deck, front="ёжик", back="hedgehog", tags="básicos")


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("bano", [WHERE]),
        ("donde", ["donde", WHERE]),
        ("DÓNDE ESTÁ", [WHERE]),
        ("baño dónde", [WHERE]),  # every word, in any order
        ("ecole", ["ÉCOLE"]),
        ("École", ["ÉCOLE"]),
        ("ete", ["ÉCOLE"]),  # the example
        ("BATHROOM", [WHERE]),  # the back
        ("ежик", ["ёжик"]),
        ("basico", ["donde", "ёжик"]),  # the tags
        ("zzz", []),
    ],
)
def test_the_deck_search_ignores_case_and_accents(as_alice, deck, phrases, q, found):
    assert fronts(search_deck(as_alice, deck, q=q)) == sorted(found)


@pytest.mark.parametrize(
    ("tag", "found"),
    [
        ("viaje", [WHERE]),
        ("a1", [WHERE]),  # any case
        ("basico", ["donde"]),  # any accent, but the whole tag: not "básicos"
        ("básicos", ["ёжик"]),
        ("viaj", []),
    ],
)
def test_the_tag_filter_finds_cards_with_that_whole_tag(as_alice, deck, phrases, tag, found):
    assert fronts(search_deck(as_alice, deck, tag=tag)) == sorted(found)


def test_the_tag_filter_and_the_search_narrow_each_other(as_alice, deck, phrases):
    assert fronts(search_deck(as_alice, deck, q="donde", tag="viaje")) == [WHERE]


def test_a_cards_tags_link_to_the_deck_filtered_by_that_tag(as_alice, deck, phrases):
    response = as_alice.get(f"/decks/{deck.pk}/", **htmx())
    assert f'href="/decks/{deck.pk}/?tag=viaje"'.encode() in response.content


def test_the_filtered_list_names_the_tag_and_keeps_it_for_the_next_search(as_alice, deck, phrases):
    response = search_deck(as_alice, deck, tag="viaje")
    assert "Tagged “viaje”".encode() in response.content
    assert b'name="tag" value="viaje" form="card-search-form"' in response.content


def test_an_edited_card_is_found_by_its_new_text(as_alice, deck, phrases):
    card = Card.objects.get(phrase__front="donde")
    data = {"front": "Mañana", "back": "tomorrow", "tags": "tiempo"}
    as_alice.post(f"/phrases/{card.phrase_id}/edit/", data, **htmx())
    assert fronts(search_deck(as_alice, deck, q="manana")) == ["Mañana"]
    assert fronts(search_deck(as_alice, deck, tag="tiempo")) == ["Mañana"]
    assert fronts(search_deck(as_alice, deck, tag="basico")) == []


def test_imported_cards_are_found_without_accents(as_alice, deck):
    as_alice.post(f"/decks/{deck.pk}/import/", {"text": "Adiós\tGoodbye\tbásico\n"}, **htmx())
    assert fronts(search_deck(as_alice, deck, q="adios")) == ["Adiós"]


def test_cards_updated_by_an_import_are_found_by_their_new_back(as_alice, deck, phrases):
    data = {"text": "donde\tdónde queda\n", "duplicates": "update"}
    as_alice.post(f"/decks/{deck.pk}/import/", data, **htmx())
    assert fronts(search_deck(as_alice, deck, q="queda")) == ["donde"]


def test_a_copied_shared_deck_is_found_without_accents(client, deck, phrases, bob):
    DeckShare.objects.create(deck=deck, token="shared-token_0123456789")
    client.defaults["HTTP_AUTHORIZATION"] = f"tma {sign_for(bob)}"
    client.post("/shared/shared-token_0123456789/", **htmx())
    copy = Deck.objects.get(owner=bob)
    assert fronts(search_deck(client, copy, q="bano")) == [WHERE]


def test_normalizing_folds_case_accents_and_whitespace():
    assert normalized("  ¿Dónde\tESTÁ  el BAÑO? ") == "¿donde esta el bano?"
    assert normalized("Straße ﬁn Ёлка") == "strasse fin елка"


# Searching every deck from home


@pytest.fixture
def other_deck(alice):
    deck = Deck.objects.create(owner=alice, name="Français")
    make_card(deck=deck, front="Où est la gare ?", back="Where is the station?")
    return deck


def search_home(client, **params):
    return client.get("/", params, **htmx(HTTP_HX_TARGET="search-results"))


def test_home_searches_every_deck_of_the_learner(as_alice, deck, phrases, other_deck, bob):
    bobs = Deck.objects.create(owner=bob, name="Bob's")
    make_card(deck=bobs, front="where bob", back="where")
    response = search_home(as_alice, q="WHERE")
    assert response.text.lstrip().startswith('<div id="search-results"')
    assert fronts(response) == sorted([WHERE, "donde", "Où est la gare ?"])
    assert b"Fran\xc3\xa7ais" in response.content  # the deck each card is in
    assert b"where bob" not in response.content
    assert b"3 phrases found" in response.content


def test_home_search_results_open_the_deck_with_the_same_search(as_alice, deck, phrases):
    response = search_home(as_alice, q="bano")
    assert f'href="/decks/{deck.pk}/?q=bano"'.encode() in response.content


def test_home_filters_every_deck_by_tag(as_alice, deck, phrases, other_deck):
    assert fronts(search_home(as_alice, tag="VIAJE")) == [WHERE]


def test_home_has_a_live_search_box(as_alice, deck):
    response = as_alice.get("/", **htmx())
    assert b'id="home-search"' in response.content
    assert b'hx-target="#search-results"' in response.content


@pytest.mark.parametrize("count", [1, 30])
def test_home_search_costs_the_same_queries_for_any_number_of_results(
    as_alice, alice, count, django_assert_max_num_queries
):
    for i in range(count):
        deck = Deck.objects.create(owner=alice, name=f"Deck {i}")
        make_card(deck=deck, front=f"front {i}", back="back", tags="t")
    # The user, the count, the page of cards with their decks.
    with django_assert_max_num_queries(3):
        assert search_home(as_alice, q="front", tag="t").status_code == 200
    with django_assert_max_num_queries(7):
        assert as_alice.get("/", {"q": "front"}, **htmx()).status_code == 200
