from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from conftest import auth_headers, htmx
from phraseweaver.environment import database_config


@pytest.fixture
def client():
    # Django's test client re-raises a view's exception; the server's handler is what we test.
    return Client(raise_request_exception=False)


def test_it_answers_503_when_the_database_fails_during_authentication(client, alice):
    with mock.patch(
        "accounts.middleware.user_from_telegram",
        side_effect=OperationalError("connection refused"),
    ):
        response = client.get("/", **htmx(), headers=auth_headers(alice))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"briefly unavailable" in response.content
    assert len(response.content) < 200


def test_it_answers_503_when_the_database_connection_breaks_in_a_view(client, alice):
    with mock.patch("cards.day.LearnerDay.decks", side_effect=InterfaceError("closed")):
        response = client.get("/", **htmx(), headers=auth_headers(alice))

    assert response.status_code == 503
    assert b"briefly unavailable" in response.content


def test_it_keeps_other_errors_a_500(client, alice):
    with mock.patch("cards.day.LearnerDay.decks", side_effect=RuntimeError("a bug")):
        response = client.get("/", **htmx(), headers=auth_headers(alice))

    assert response.status_code == 500
    assert b"briefly unavailable" not in response.content


def test_it_bounds_how_long_a_postgres_connection_attempt_may_wait():
    config = database_config("postgres://u:p@db.example:5432/pw")

    assert config["OPTIONS"]["connect_timeout"] == 5


def test_it_keeps_a_connect_timeout_given_in_the_database_url():
    config = database_config("postgres://u:p@db.example:5432/pw?connect_timeout=2")

    assert config["OPTIONS"]["connect_timeout"] == 2


def test_it_gives_sqlite_no_connect_timeout():
    assert "connect_timeout" not in database_config("sqlite:///tmp/x.sqlite3").get("OPTIONS", {})
