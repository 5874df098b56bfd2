"""The import screen: upload or paste → preview → import → report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cards.models import Card, Deck, Phrase
from conftest import auth_headers, htmx, make_card


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])


def upload(content: bytes, name="words.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_the_import_page_renders_in_full_and_as_a_partial(as_alice, deck):
    page = as_alice.get(f"/decks/{deck.pk}/import/")
    assert page.status_code == 200
    assert b"<html" in page.content
    assert b'id="import-form"' in page.content
    partial = as_alice.get(f"/decks/{deck.pk}/import/", **htmx())
    assert b"<html" not in partial.content
    assert b'data-tg-back="/decks/' in partial.content


def test_a_plain_page_load_without_init_data_gets_the_shell(client, deck):
    response = client.get(f"/decks/{deck.pk}/import/")
    assert response.status_code == 200
    assert b"data-shell" in response.content


def test_the_preview_shows_the_mapping_without_saving_anything(as_alice, deck):
    data = {"file": upload(b"hola;hello;Hola, amigo\nadios;bye;\n")}
    response = as_alice.post(f"/decks/{deck.pk}/import/preview/", data, **htmx())
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "2 rows" in body
    assert "<code>semicolon</code>" in body
    assert '<td class="import-front">hola</td><td class="import-back">hello</td>' in body
    assert 'data-tg-main-click="#import-submit"' in body
    assert not Card.objects.exists()


def test_the_preview_lets_the_learner_swap_and_pick_columns(as_alice, deck):
    data = {"text": "hola\thello\tHola, amigo\n", "mapped": "true", "front": "0", "back": "1"}
    data |= {"example": "2", "swap": "true"}
    body = as_alice.post(f"/decks/{deck.pk}/import/preview/", data, **htmx()).content.decode()
    swapped = '<td class="import-front">hello</td><td class="import-back">hola</td>'
    assert f'{swapped}<td class="import-extra">Hola, amigo</td>' in body
    assert '<option value="2" selected>Column 3: Hola, amigo</option>' in body


def test_the_preview_renders_as_a_full_page_without_htmx(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/import/preview/", {"text": "a\tb\n"})
    assert response.status_code == 200
    assert b"<html" in response.content
    assert b'<td class="import-front">a</td><td class="import-back">b</td>' in response.content


def test_the_preview_explains_bad_input(as_alice, deck):
    data = {"file": upload(bytes(range(256)) * 8, "cards.apkg")}
    body = as_alice.post(f"/decks/{deck.pk}/import/preview/", data, **htmx()).content.decode()
    assert "neither text" in body
    body = as_alice.post(f"/decks/{deck.pk}/import/preview/", {}, **htmx()).content.decode()
    assert "Choose a file or paste some text." in body


def test_it_refuses_a_file_over_the_limit(as_alice, deck, settings):
    settings.IMPORT_MAX_BYTES = 10
    data = {"file": upload(b"hola\thello\n")}
    body = as_alice.post(f"/decks/{deck.pk}/import/preview/", data, **htmx()).content.decode()
    assert "larger than 1e-05 MB" in body


def test_importing_shows_the_report_with_each_skipped_line(as_alice, deck):
    make_card(deck=deck, front="hola", back="hi")
    data = {"file": upload(b"hola\thello\nperro\t\ngato\tcat\n"), "duplicates": "skip"}
    response = as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    body = response.content.decode()
    assert "<html" not in body
    assert "1 card added" in body
    assert "0 cards updated" in body
    assert "2 lines skipped" in body
    assert "Line 1: already in the deck" in body
    assert "Line 2: the back is empty" in body
    assert sorted(deck.phrases.values_list("front", flat=True)) == ["gato", "hola"]


def test_importing_can_update_duplicates(as_alice, deck):
    make_card(deck=deck, front="hola", back="hi")
    data = {"text": "hola\thello\n", "duplicates": "update"}
    response = as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    assert "1 card updated" in response.content.decode()
    assert deck.phrases.get().back == "hello"


def test_importing_without_htmx_redirects_to_the_report(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/import/", {"text": "a\tb\nc\td\n"})
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{deck.pk}/import/"
    page = as_alice.get(response["Location"])
    assert "2 cards added" in page.content.decode()


def test_a_refused_import_saves_nothing_and_says_why(as_alice, deck, settings):
    settings.IMPORT_MAX_ROWS = 2
    data = {"text": "a\t1\nb\t2\nc\t3\n"}
    response = as_alice.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())
    assert "more than 2 rows" in response.content.decode()
    assert not Card.objects.exists()


def test_the_screen_speaks_russian(client, make_user):
    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Слова")
    client.defaults["HTTP_AUTHORIZATION"] = auth_headers(ivan)["Authorization"]
    response = client.post(f"/decks/{deck.pk}/import/", {"text": "a\tb\n"}, follow=True, **htmx())
    assert "1 карточка добавлена" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/decks/{}/import/"),
        ("post", "/decks/{}/import/"),
        ("post", "/decks/{}/import/preview/"),
    ],
)
def test_another_learners_deck_is_not_found(client, bob, deck, method, url):
    headers = {"HTTP_AUTHORIZATION": auth_headers(bob)["Authorization"]}
    response = getattr(client, method)(url.format(deck.pk), {"text": "a\tb\n"}, **headers)
    assert response.status_code == 404
    assert not Card.objects.exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/decks/{}/import/"),
        ("delete", "/decks/{}/import/"),
        ("get", "/decks/{}/import/preview/"),
    ],
)
def test_wrong_methods_are_refused(as_alice, deck, method, url):
    assert getattr(as_alice, method)(url.format(deck.pk)).status_code == 405


@pytest.mark.parametrize("count", [1, 50])
def test_the_queries_do_not_grow_with_the_file(
    as_alice, deck, count, django_assert_max_num_queries
):
    text = "".join(f"word{i}\tслово{i}\n" for i in range(count))
    with django_assert_max_num_queries(8):
        as_alice.post(f"/decks/{deck.pk}/import/preview/", {"text": text}, **htmx())
    # The request stores the job; the immediate backend then runs the task in it: the claim,
    # the lease check, the batch (its phrases, then their cards) and the report.
    with django_assert_max_num_queries(25):
        as_alice.post(f"/decks/{deck.pk}/import/", {"text": text}, **htmx())
    assert deck.cards.count() == count


# The preview tells before the import what it will do


def preview(client, deck, **data):
    response = client.post(f"/decks/{deck.pk}/import/preview/", data, **htmx())
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("front,back,example,notes,tags\nhola,hello,,,\n", "PhraseWeaver export"),
        ("#separator:tab\n#html:false\nhola\thello\n", "Anki text export"),
        ("hola;hello\n", "Separated text"),
    ],
)
def test_the_preview_names_the_format_in_words(as_alice, deck, text, name):
    body = preview(as_alice, deck, text=text)
    assert f"Format: {name}" in body
    assert "format: phraseweaver" not in body and "anki-text" not in body


def test_the_preview_counts_and_explains_the_rows_it_will_skip(as_alice, deck):
    make_card(deck=deck, front="hola", back="hi")
    text = "hola\thello\n\tno front\ngato\t\nperro\tdog\nperro\tdog again\nluna\tmoon\n"
    body = preview(as_alice, deck, text=text)
    assert "4 rows will be skipped" in body
    assert "Already in the deck: 1 row (line 1)" in body
    assert "The front is empty: 1 row (line 2)" in body
    assert "The back is empty: 1 row (line 3)" in body
    assert "The same front as an earlier line: 1 row (line 5)" in body
    assert not Phrase.objects.exclude(front="hola").exists()  # a preview imports nothing


def test_the_skipped_rows_of_one_reason_are_counted_with_their_first_lines(as_alice, deck):
    body = preview(as_alice, deck, text="".join(f"front {i}\t\n" for i in range(8)))
    assert "The back is empty: 8 rows (lines 1, 2, 3, 4, 5…)" in body


def test_the_preview_says_when_nothing_will_be_skipped(as_alice, deck):
    assert "Every row will be imported." in preview(as_alice, deck, text="a\tb\nc\td\n")


def test_a_front_in_the_deck_is_not_skipped_when_the_import_updates(as_alice, deck):
    make_card(deck=deck, front="hola", back="hi")
    body = preview(as_alice, deck, text="hola\thello\n", duplicates="update", mapped="true")
    assert "Every row will be imported." in body


def test_the_preview_shows_twenty_rows_as_cards(as_alice, deck):
    text = "".join(f"front {i}\tback {i}\n" for i in range(30))
    body = preview(as_alice, deck, text=text)
    assert body.count('<tr class="import-row">') == 20
    assert '<td class="import-front">front 0</td><td class="import-back">back 0</td>' in body
