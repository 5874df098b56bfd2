"""Sharing decks: the owner's share link, the preview it opens, copying, revoking."""

import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cards.models import Card, Deck, DeckShare, ReviewLog, State
from cards.scheduling import Rating
from conftest import auth_headers, htmx, make_card, make_cards, sign_for

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}")


@pytest.fixture
def deck(alice):
    deck = Deck.objects.create(
        owner=alice, name="Spanish basics", description="Greetings", front_lang="es", back_lang="en"
    )
    for front, back in [("hola", "hello"), ("adiós", "goodbye"), ("gracias", "thank you")]:
        make_card(deck=deck, front=front, back=back, example=f"{front}!", tags="a1")
    return deck


@pytest.fixture
def shared(deck):
    return DeckShare.objects.create(deck=deck, token="shared-token_0123456789")


@pytest.fixture
def as_bob(client, bob):
    client.defaults.update({"HTTP_AUTHORIZATION": f"tma {sign_for(bob)}"})
    return client


@pytest.fixture
def links(settings):
    settings.TELEGRAM_BOT_USERNAME = "PhraseWeaverBot"
    settings.TELEGRAM_APP_NAME = "app"


# The owner's share screen


def test_the_share_screen_offers_to_create_a_link(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/share/")
    assert response.status_code == 200
    assert b"<html" in response.content
    assert b"Create a share link" in response.content
    assert not DeckShare.objects.exists()


def test_the_share_screen_partial_is_the_screen_alone(as_alice, deck):
    response = as_alice.get(f"/decks/{deck.pk}/share/", **htmx())
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert f'data-tg-back="/decks/{deck.pk}/"'.encode() in response.content


def test_it_creates_a_share_link_that_opens_the_mini_app(as_alice, deck, links):
    response = as_alice.post(f"/decks/{deck.pk}/share/", **htmx())
    assert response.status_code == 200
    assert b"<html" not in response.content
    token = DeckShare.objects.get(deck=deck).token
    assert TOKEN.fullmatch(token)
    link = f"https://t.me/PhraseWeaverBot/app?startapp=deck_{token}"
    assert link.encode() in response.content
    sheet = re.search(rb'data-tg-share-url="([^"]+)"', response.content).group(1).decode()
    sheet = sheet.replace("&amp;", "&")
    assert sheet.startswith("https://t.me/share/url?")
    query = parse_qs(urlsplit(sheet).query)
    assert query["url"] == [link]
    assert "Spanish basics" in query["text"][0]
    assert b"Stop sharing" in response.content


def test_sharing_again_returns_the_same_link(as_alice, deck):
    as_alice.post(f"/decks/{deck.pk}/share/", **htmx())
    first = DeckShare.objects.get(deck=deck).token
    response = as_alice.post(f"/decks/{deck.pk}/share/", **htmx())
    assert DeckShare.objects.get(deck=deck).token == first
    assert first.encode() in response.content


def test_tokens_differ_between_decks(as_alice, alice, deck):
    other = Deck.objects.create(owner=alice, name="Other")
    as_alice.post(f"/decks/{deck.pk}/share/", **htmx())
    as_alice.post(f"/decks/{other.pk}/share/", **htmx())
    assert DeckShare.objects.values("token").distinct().count() == 2


def test_a_plain_post_redirects_to_the_share_screen(as_alice, deck):
    response = as_alice.post(f"/decks/{deck.pk}/share/")
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{deck.pk}/share/"
    assert DeckShare.objects.filter(deck=deck).exists()


def test_without_an_app_name_the_link_opens_the_bots_main_mini_app(as_alice, shared, settings):
    settings.TELEGRAM_BOT_USERNAME = "PhraseWeaverBot"
    settings.TELEGRAM_APP_NAME = ""
    response = as_alice.get(f"/decks/{shared.deck_id}/share/", **htmx())
    assert f"https://t.me/PhraseWeaverBot?startapp=deck_{shared.token}".encode() in (
        response.content
    )


def test_without_a_bot_the_link_is_the_shared_page(as_alice, shared, settings):
    settings.TELEGRAM_BOT_USERNAME = ""
    response = as_alice.get(f"/decks/{shared.deck_id}/share/", **htmx())
    assert f"http://testserver/shared/{shared.token}/".encode() in response.content


def test_it_revokes_the_link(as_alice, shared):
    response = as_alice.post(f"/decks/{shared.deck_id}/share/revoke/", **htmx())
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Create a share link" in response.content
    assert not DeckShare.objects.exists()
    assert as_alice.get(f"/shared/{shared.token}/", **htmx()).status_code == 404


def test_a_plain_revoke_redirects_to_the_share_screen(as_alice, shared):
    response = as_alice.post(f"/decks/{shared.deck_id}/share/revoke/")
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{shared.deck_id}/share/"
    assert not DeckShare.objects.exists()


def test_sharing_after_revoking_makes_a_new_token(as_alice, shared):
    as_alice.post(f"/decks/{shared.deck_id}/share/revoke/", **htmx())
    as_alice.post(f"/decks/{shared.deck_id}/share/", **htmx())
    assert DeckShare.objects.get().token != shared.token


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/decks/{}/share/"),
        ("post", "/decks/{}/share/"),
        ("post", "/decks/{}/share/revoke/"),
    ],
)
def test_another_learners_deck_cannot_be_shared_or_revoked(as_bob, shared, method, path):
    response = getattr(as_bob, method)(path.format(shared.deck_id), **htmx())
    assert response.status_code == 404
    assert DeckShare.objects.get() == shared


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/decks/{deck}/share/"),
        ("delete", "/decks/{deck}/share/"),
        ("get", "/decks/{deck}/share/revoke/"),
        ("put", "/shared/{token}/"),
    ],
)
def test_wrong_methods_are_405(as_alice, shared, method, path):
    url = path.format(deck=shared.deck_id, token=shared.token)
    assert getattr(as_alice, method)(url, **htmx()).status_code == 405


def test_share_requests_without_init_data_are_refused(client, shared):
    assert client.post(f"/decks/{shared.deck_id}/share/", **htmx()).status_code == 401
    assert client.post(f"/shared/{shared.token}/", **htmx()).status_code == 401
    assert DeckShare.objects.get() == shared


# Opening a shared deck


def test_a_plain_load_of_a_shared_link_gets_the_shell(client, shared):
    response = client.get(f"/shared/{shared.token}/")
    assert response.status_code == 200
    assert b"data-shell" in response.content
    assert b"Spanish basics" not in response.content


def test_the_preview_shows_the_deck(as_bob, shared):
    response = as_bob.get(f"/shared/{shared.token}/")
    assert response.status_code == 200
    assert b"<html" in response.content
    content = response.content.decode()
    assert "Spanish basics" in content
    assert "Shared by Alice Liddell" in content
    assert "ES → EN" in content
    assert "3 phrases" in content
    assert "hola" in content and "thank you" in content
    assert "Add to my decks" in content


def test_the_preview_partial_offers_the_main_button(as_bob, shared):
    response = as_bob.get(f"/shared/{shared.token}/", **htmx())
    assert b"<html" not in response.content
    assert b'data-tg-main-button="Add to my decks"' in response.content
    assert b'data-tg-main-click="#shared-add"' in response.content


def test_the_preview_shows_a_few_cards_and_counts_the_rest(as_bob, shared):
    make_cards(shared.deck, 10, prefix="extra", back="x")
    content = as_bob.get(f"/shared/{shared.token}/", **htmx()).content.decode()
    assert "13 phrases" in content
    assert "extra 1<" in content
    assert "extra 2<" not in content
    assert "and 8 more" in content


def test_the_preview_escapes_the_deck(as_bob, shared):
    make_card(deck=shared.deck, front="<script>alert(1)</script>", back="b")
    content = as_bob.get(f"/shared/{shared.token}/", **htmx()).content
    assert b"<script>alert(1)" not in content
    assert b"&lt;script&gt;" in content


def test_opening_your_own_share_says_it_is_yours(as_alice, shared):
    response = as_alice.get(f"/shared/{shared.token}/", **htmx())
    assert response.status_code == 200
    assert b"This is your own deck" in response.content
    assert b"Add to my decks" not in response.content
    assert b"data-tg-main-button" not in response.content


def test_the_preview_is_in_the_learners_language(client, make_user, shared):
    olga = make_user(333, "Olga", language_code="ru")
    response = client.get(f"/shared/{shared.token}/", headers=auth_headers(olga), **htmx())
    assert "Добавить в мои колоды" in response.content.decode()


@pytest.mark.parametrize("cards", [1, 50])
def test_the_preview_takes_a_constant_number_of_queries(
    as_bob, bob, shared, cards, django_assert_max_num_queries
):
    make_cards(shared.deck, cards, prefix="f", back="b")
    as_bob.get("/", **htmx())  # bob exists and is up to date: the middleware only reads him
    with django_assert_max_num_queries(3):
        response = as_bob.get(f"/shared/{shared.token}/", **htmx())
    assert response.status_code == 200


# Adding a shared deck


def review_all(deck):
    now = timezone.now()
    for card in deck.cards.all():
        card.review(Rating.GOOD, learner=deck.owner, now=now - timedelta(days=3))
        card.review(Rating.GOOD, learner=deck.owner, now=now - timedelta(days=2))


def test_adding_copies_the_cards_with_fresh_schedules(as_bob, bob, shared):
    review_all(shared.deck)
    before = timezone.now()
    response = as_bob.post(f"/shared/{shared.token}/", **htmx())
    assert response.status_code == 200
    assert b"<html" not in response.content
    copy = Deck.objects.get(owner=bob)
    assert (copy.name, copy.description, copy.front_lang, copy.back_lang) == (
        "Spanish basics",
        "Greetings",
        "es",
        "en",
    )
    assert f'href="/decks/{copy.pk}/"'.encode() in response.content
    phrases = list(copy.phrases.order_by("id"))
    assert [(p.front, p.back, p.example, p.tags) for p in phrases] == [
        ("hola", "hello", "hola!", "a1"),
        ("adiós", "goodbye", "adiós!", "a1"),
        ("gracias", "thank you", "gracias!", "a1"),
    ]
    # Each phrase gets the cards of the copy's directions (a new deck's: both ways).
    cards = list(copy.cards.order_by("id"))
    assert [(c.phrase_id, c.direction) for c in cards] == [
        (p.pk, d) for p in phrases for d in ("recognition", "production")
    ]
    for card in cards:
        assert card.owner == bob
        assert card.state == State.LEARNING
        assert card.step == 0
        assert card.last_review is None
        assert card.stability is None and card.difficulty is None
        assert card.version == 0
        assert before <= card.due <= timezone.now()
    assert not ReviewLog.objects.filter(user=bob).exists()


def test_adding_leaves_the_original_untouched(as_bob, shared):
    review_all(shared.deck)
    original = list(shared.deck.cards.order_by("id").values())
    deck_before = Deck.objects.filter(pk=shared.deck_id).values().get()
    as_bob.post(f"/shared/{shared.token}/", **htmx())
    assert list(shared.deck.cards.order_by("id").values()) == original
    assert Deck.objects.filter(pk=shared.deck_id).values().get() == deck_before
    assert DeckShare.objects.get() == shared
    assert Card.objects.filter(owner=shared.deck.owner).count() == 3


def test_copied_cards_belong_to_the_new_owner_only(as_bob, alice, bob, shared):
    as_bob.post(f"/shared/{shared.token}/", **htmx())
    assert Card.objects.for_user(bob).count() == 6  # both ways
    assert Card.objects.for_user(alice).count() == 3
    assert not Card.objects.for_user(alice).filter(deck__owner=bob).exists()


def test_a_plain_add_redirects_to_the_new_deck(as_bob, bob, shared):
    response = as_bob.post(f"/shared/{shared.token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{Deck.objects.get(owner=bob).pk}/"


def test_adding_twice_opens_the_copy_already_made(as_bob, bob, shared):
    as_bob.post(f"/shared/{shared.token}/", **htmx())
    response = as_bob.post(f"/shared/{shared.token}/", **htmx())
    copy = Deck.objects.get(owner=bob)
    assert copy.phrases.count() == 3
    assert json.loads(response["HX-Location"]) == {"path": f"/decks/{copy.pk}/", "target": "#app"}


def test_a_plain_second_add_redirects_to_the_copy(as_bob, bob, shared):
    as_bob.post(f"/shared/{shared.token}/")
    response = as_bob.post(f"/shared/{shared.token}/")
    assert response["Location"] == f"/decks/{Deck.objects.get(owner=bob).pk}/"


def test_the_preview_of_a_deck_already_added_opens_the_copy(as_bob, bob, shared):
    as_bob.post(f"/shared/{shared.token}/", **htmx())
    copy = Deck.objects.get(owner=bob)
    response = as_bob.get(f"/shared/{shared.token}/", **htmx())
    text = response.content.decode()
    assert "You have added this deck already." in text
    assert f'href="/decks/{copy.pk}/"' in text
    assert 'data-tg-main-button="Open my copy" data-tg-main-click="#shared-open"' in text
    assert 'id="shared-add"' not in text


def test_each_learner_gets_a_copy_of_their_own(as_bob, bob, make_user, client, shared):
    as_bob.post(f"/shared/{shared.token}/", **htmx())
    olga = make_user(333, "Olga")
    client.post(f"/shared/{shared.token}/", headers=auth_headers(olga), **htmx())
    assert Deck.objects.filter(owner=bob).count() == 1
    assert Deck.objects.filter(owner=olga).count() == 1


def test_after_deleting_the_copy_adding_makes_a_new_one(as_bob, bob, shared):
    as_bob.post(f"/shared/{shared.token}/", **htmx())
    Deck.objects.get(owner=bob).delete()
    response = as_bob.post(f"/shared/{shared.token}/", **htmx())
    assert response.status_code == 200
    assert Deck.objects.get(owner=bob).phrases.count() == 3


def test_the_database_refuses_a_second_copy_of_the_same_share(bob, shared):
    Deck.objects.create(owner=bob, name="Copy", shared_token=shared.token)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deck.objects.create(owner=bob, name="Copy", shared_token=shared.token)


def test_an_empty_deck_can_be_added(as_bob, bob, shared):
    shared.deck.phrases.all().delete()
    response = as_bob.post(f"/shared/{shared.token}/", **htmx())
    assert response.status_code == 200
    assert Deck.objects.get(owner=bob).cards.count() == 0


# Links that do not work


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_token_is_a_clear_404(as_bob, bob, db, method):
    response = getattr(as_bob, method)("/shared/no-such-token/", **htmx())
    assert response.status_code == 404
    assert response["X-Error-Page"] == "1"
    assert b"This link does not work" in response.content
    assert b"<html" not in response.content
    assert not Deck.objects.filter(owner=bob).exists()


def test_a_revoked_token_is_a_full_404_page(as_bob, shared):
    shared.delete()
    response = as_bob.get(f"/shared/{shared.token}/")
    assert response.status_code == 404
    assert b"<html" in response.content
    assert b"no longer shared" in response.content


def test_the_404_is_in_the_learners_language(client, make_user, db):
    olga = make_user(333, "Olga", language_code="ru")
    response = client.get("/shared/gone/", headers=auth_headers(olga), **htmx())
    assert response.status_code == 404
    assert "Ссылка не работает" in response.content.decode()


# Launching the Mini App from a share link


def launch(client, user, start_param, *, query=True):
    url = f"/?tgWebAppStartParam={start_param}" if query else "/"
    auth = f"tma {sign_for(user, start_param=start_param)}"
    return client.get(url, HTTP_AUTHORIZATION=auth, **htmx())


def test_launching_from_a_share_link_opens_the_shared_deck(client, bob, shared):
    response = launch(client, bob, f"deck_{shared.token}")
    assert response.status_code == 200
    location = response["HX-Location"]
    assert f'"path": "/shared/{shared.token}/"' in location
    assert '"target": "#app"' in location


def test_later_visits_to_home_stay_home(client, bob, shared):
    response = launch(client, bob, f"deck_{shared.token}", query=False)
    assert response.status_code == 200
    assert "HX-Location" not in response
    assert b"Hello, Bob!" in response.content


def test_launching_from_your_own_share_link_opens_home(client, alice, shared):
    response = launch(client, alice, f"deck_{shared.token}")
    assert "HX-Location" not in response
    assert b"Hello, Alice!" in response.content


def test_launching_from_a_revoked_link_explains_it(client, bob, shared):
    shared.delete()
    response = launch(client, bob, f"deck_{shared.token}")
    assert f"/shared/{shared.token}/" in response["HX-Location"]


@pytest.mark.parametrize("start_param", ["", "deck_", "other_thing", "deckabc"])
def test_other_start_parameters_open_home(client, bob, shared, start_param):
    response = launch(client, bob, start_param)
    assert "HX-Location" not in response
    assert b"Hello, Bob!" in response.content


def test_an_unsigned_start_parameter_is_ignored(client, bob, shared):
    response = client.get(
        f"/?tgWebAppStartParam=deck_{shared.token}",
        HTTP_AUTHORIZATION=f"tma {sign_for(bob)}",
        **htmx(),
    )
    assert "HX-Location" not in response
