import sqlite3

import pytest
from django.core.cache import caches
from django.db import connection

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def test_liveness_answers_whatever_the_host_header_without_the_database(client):
    # No db fixture: pytest-django turns any database access into an error here.
    response = client.get("/healthz", HTTP_HOST="172.19.0.5:8000")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_other_urls_still_enforce_allowed_hosts(client, db):
    assert client.get("/health", HTTP_HOST="172.19.0.5:8000").status_code == 400


@pytest.mark.django_db
def test_readiness_is_ok_when_the_database_and_cache_answer(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "failed": []}
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def redis_down(settings):
    from phraseweaver.environment import cache_config

    # Django's setting_changed handler rebuilds the cache connections.
    settings.CACHES = {"default": cache_config(CLOSED_REDIS)}
    yield
    caches.close_all()


@pytest.mark.django_db
def test_readiness_names_the_cache_when_redis_is_down(client, redis_down):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "failed": ["cache"]}


@pytest.mark.django_db
def test_ordinary_cache_use_survives_a_redis_outage(redis_down):
    from django.core.cache import cache

    cache.set("key", "value")
    assert cache.get("key") is None


@pytest.fixture
def database_down(transactional_db):
    """Points the default connection at a database that cannot be reached, for real."""
    if connection.vendor == "sqlite":
        # Django never really closes the in-memory test database; hand it a closed one.
        connection.ensure_connection()
        working = connection.connection
        closed = sqlite3.connect(":memory:")
        closed.close()
        connection.connection = closed
        yield
        connection.connection = working
        return
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    yield
    connection.close()
    connection.settings_dict.update(saved)


def test_readiness_names_the_database_when_it_is_down(client, database_down):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "failed": ["database"]}
