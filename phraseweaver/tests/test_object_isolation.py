"""Another learner's objects do not exist for you: every URL that takes an object id answers
alice 404 (or 405 for a method the view does not allow) for bob's objects, on every method, and
changes none of bob's rows; every URL that takes a signed token refuses one alice forged for
bob's object.

The URL list comes from the resolver, so a new URL with an object id is covered the day it is
added; an id parameter this test does not know fails it until someone says whose object it is.
"""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.utils import timezone

from bot.models import CardDraft
from cards.models import Card, Deck, ExportJob, ImportJob, ReviewLog
from cards.scheduling import Rating
from conftest import auth_headers, htmx, make_card
from phraseweaver.media import media_file, media_url

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def object_urls(patterns=None, prefix=""):
    """(route, int parameter names) for every URL pattern with an int parameter."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from object_urls(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            converters = entry.pattern.converters
            ints = [name for name, conv in converters.items() if isinstance(conv, IntConverter)]
            if ints:
                yield route, ints


def signed_urls(patterns=None, prefix=""):
    """Every route whose view takes its authentication from a signed token in the query."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from signed_urls(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.callback in SIGNED_VIEWS:
            yield route


OBJECT_URLS = sorted(object_urls())
# Views that trust a signed token in place of initData (downloads also take initData, and are
# object URLs above).
SIGNED_VIEWS = {media_file}
SIGNED_URLS = sorted(signed_urls())


@pytest.fixture
def bobs(bob, alice):
    deck = Deck.objects.create(owner=bob, name="Bob's deck")
    card = make_card(deck=deck, front="bob front", back="bob back")
    log = card.review(Rating.GOOD, learner=bob)
    job = ImportJob.objects.create(owner=bob, deck=deck, status=ImportJob.Status.DONE, report={})
    export = ExportJob.objects.create(
        owner=bob, status=ExportJob.Status.DONE, archive=b"PK bob's zip", finished=timezone.now()
    )
    # Alice has objects of her own, so that her requests reach the code that fetches objects.
    own_deck = Deck.objects.create(owner=alice, name="Alice's deck")
    make_card(deck=own_deck, front="alice front", back="alice back")
    ids = {
        "deck_id": deck.pk,
        "card_id": card.pk,
        "phrase_id": card.phrase_id,
        "review_id": log.pk,
        "job_id": job.pk,
    }
    ids["export_id"] = export.pk
    ids["draft_id"] = CardDraft.objects.create(owner=bob, message_id=1, front="bob's", deck=deck).pk
    ids["media_token"] = forged_media_token(alice, bob)
    return ids | {"card": card, "log": log}


def forged_media_token(alice, bob) -> str:
    """What alice can make of a media URL for bob's file: her own signed token, with the name
    of bob's file put in the place of hers."""
    own = default_storage.save(f"users/{alice.pk}/images/own.png", ContentFile(b"alice's"))
    bobs = default_storage.save(f"users/{bob.pk}/images/bobs.png", ContentFile(b"bob's"))
    _value, timestamp, signature = parse_qs(urlsplit(media_url(own)).query)["token"][0].split(":")
    value = signing.b64_encode(signing.JSONSerializer().dumps(bobs)).decode()
    return f"{value}:{timestamp}:{signature}"


def snapshot(user):
    """Everything of bob's that a request could change."""
    rows = [model_to_dict(user)]
    for model in (Deck, Card, ReviewLog, ImportJob, ExportJob, CardDraft):
        owner = "user" if model is ReviewLog else "owner"
        rows += [model_to_dict(obj) for obj in model.objects.filter(**{owner: user}).order_by("pk")]
    return rows


def fill(route: str, params: list[str], ids: dict) -> str:
    path = "/" + route
    for name in params:
        assert name in ids, f"whose object is <int:{name}> in {route}? add it to the bobs fixture"
        path = path.replace(f"<int:{name}>", str(ids[name]))
    return path


def test_the_matrix_covers_the_object_urls():
    routes = {route for route, _params in OBJECT_URLS}

    assert "decks/<int:deck_id>/" in routes
    assert "review/cards/<int:card_id>/grade/" in routes
    assert "settings/export/<int:export_id>/" in routes
    assert SIGNED_URLS == ["media/"]


@pytest.mark.parametrize(("route", "params"), OBJECT_URLS, ids=[r for r, _ in OBJECT_URLS])
def test_another_learners_object_is_not_found_on_any_method(
    client, alice, bob, bobs, route, params
):
    path = fill(route, params, bobs)
    # A plausible body, so that no view stops at form validation before it looks up the object.
    body = urlencode(
        {
            "rating": Rating.GOOD,
            "version": bobs["card"].version,
            "duration_ms": 1000,
            "name": "taken",
            "front": "taken",
            "back": "taken",
            "review": bobs["review_id"],
        }
    )
    before = snapshot(bob)
    for method in METHODS:
        response = client.generic(
            method,
            path,
            body,
            content_type="application/x-www-form-urlencoded",
            headers=auth_headers(alice),
            **htmx(),
        )

        assert response.status_code in (404, 405), (method, path, response.status_code)
    assert snapshot(bob) == before


@pytest.mark.parametrize("route", SIGNED_URLS)
def test_another_learners_media_is_not_found_with_a_token_forged_from_her_own(
    client, alice, bob, bobs, route
):
    for method in METHODS:
        response = client.generic(
            method,
            f"/{route}?{urlencode({'token': bobs['media_token']})}",
            headers=auth_headers(alice),
        )

        assert response.status_code in (404, 405), (method, route, response.status_code)


@pytest.mark.parametrize(
    "path", ["/review/?deck={deck_id}", "/decks/{deck_id}/review/?deck={deck_id}"]
)
def test_another_learners_deck_in_the_query_string_is_not_found(as_alice, bobs, path):
    response = as_alice.get(path.format(**bobs), **htmx())

    assert response.status_code == 404


def test_another_learners_review_cannot_be_undone(as_alice, bob, bobs):
    before = snapshot(bob)

    as_alice.post("/review/undo/", {"review": bobs["review_id"]}, **htmx())

    assert snapshot(bob) == before
