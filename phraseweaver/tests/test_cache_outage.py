import socket
import time

import pytest
from django.core.cache import cache

from cards.models import Deck
from conftest import auth_headers, htmx
from phraseweaver.environment import cache_config


@pytest.fixture
def redis_down(settings):
    """The cache points at a port where nothing listens, as when Redis has died."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{port}/0")}


@pytest.mark.parametrize("page", ["/review/", "/decks/{deck}/import/?report=some-token"])
def test_a_learner_page_answers_quickly_while_redis_is_down(client, alice, redis_down, page):
    # The import page reads its report from the cache: a miss, not an error.
    deck = Deck.objects.create(owner=alice, name="Spanish")
    started = time.monotonic()
    response = client.get(page.format(deck=deck.pk), **htmx(), headers=auth_headers(alice))

    assert response.status_code == 200
    assert time.monotonic() - started < 1


def test_the_cache_turns_into_misses_while_redis_is_down(db, redis_down):
    cache.set("k", "v")

    assert cache.get("k") is None


def test_health_names_the_cache_while_redis_is_down(client, db, redis_down):
    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
