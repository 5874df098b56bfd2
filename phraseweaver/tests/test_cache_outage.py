"""A Redis outage turns into cache misses, never into failed or hanging requests.

No wall-clock assertions: how long a request takes depends on how busy the machine is. What
bounds the wait is asserted instead: the options of the client django-redis builds, and that a
request meets a Redis that never answers once and goes on because the socket timeout ends it.
"""

import signal
import socket
from contextlib import contextmanager, suppress

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


@pytest.fixture
def redis_hanging(settings):
    """The cache points at a server that takes connections and never answers, as when Redis
    hangs: the kernel completes each connection, nothing ever reads or replies.

    Yields a function that counts the connections made so far.
    """
    server = socket.create_server(("127.0.0.1", 0), backlog=16)
    server.setblocking(False)
    taken = []

    def connections_made() -> int:
        with suppress(BlockingIOError):
            while True:
                taken.append(server.accept()[0])
        return len(taken)

    settings.CACHES = {"default": cache_config(f"redis://127.0.0.1:{server.getsockname()[1]}/0")}
    yield connections_made
    for connection in taken:
        connection.close()
    server.close()


class StillWaiting(BaseException):
    """Raised into a request that waits on and on (not an Exception: nothing on the way
    may turn it into a cache miss or an error page)."""


@contextmanager
def interrupted_if_still_waiting_after(seconds):
    """Only a broken client trips this: one without a socket timeout waits forever."""

    def interrupt(signum, frame):
        raise StillWaiting

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("page", ["/review/", "/decks/{deck}/import/"])
def test_a_learner_page_answers_while_redis_is_down(client, alice, redis_down, page):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    response = client.get(page.format(deck=deck.pk), **htmx(), headers=auth_headers(alice))

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_request_that_reads_the_cache_gives_up_on_a_hanging_redis(client, redis_hanging):
    # The readiness check is the request that reads the cache (import reports, which did,
    # live on their ImportJob now).
    try:
        with interrupted_if_still_waiting_after(15):
            response = client.get("/health")
    except StillWaiting:
        pytest.fail("the request still waits for a Redis that never answers: no socket timeout")

    # Redis never answered: only the socket timeout can have ended the wait.
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    # One connection: no retry that would wait a timeout again.
    assert redis_hanging() == 1


def test_the_cache_client_waits_for_redis_at_most_a_second(redis_down):
    # A connection as redis-py makes it (not yet connected) from the pool django-redis built
    # from the settings: redis-py's own defaults (5 s) apply to any timeout not set.
    connection = cache.client.get_client().connection_pool.make_connection()

    assert 0 < connection.socket_connect_timeout <= 1
    assert 0 < connection.socket_timeout <= 1


def test_the_cache_turns_into_misses_while_redis_is_down(db, redis_down):
    cache.set("k", "v")

    assert cache.get("k") is None


def test_health_names_the_cache_while_redis_is_down(client, db, redis_down):
    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
