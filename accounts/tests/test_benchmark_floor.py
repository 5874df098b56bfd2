import importlib

import pytest

from conftest import auth_headers, htmx


@pytest.fixture
def floor_on(settings):
    settings.BENCHMARK_FLOOR_VIEW = True


def test_it_answers_ok_to_a_learner_when_the_floor_view_is_on(client, alice, floor_on):
    response = client.get("/bench/floor/", **htmx(), headers=auth_headers(alice))

    assert response.status_code == 200
    assert response.content == b"ok"


def test_it_refuses_a_request_without_init_data_when_on(client, db, floor_on):
    assert client.get("/bench/floor/").status_code == 401


def test_it_refuses_a_wrong_method_when_on(client, alice, floor_on):
    assert client.post("/bench/floor/", headers=auth_headers(alice)).status_code == 405


def test_it_does_not_exist_when_the_floor_view_is_off(client, alice, settings):
    settings.BENCHMARK_FLOOR_VIEW = False

    assert client.get("/bench/floor/", headers=auth_headers(alice)).status_code == 404
    assert client.get("/bench/floor/").status_code == 404


def test_it_is_off_unless_the_environment_turns_it_on(monkeypatch):
    import phraseweaver.settings as module

    monkeypatch.delenv("BENCHMARK_FLOOR_VIEW", raising=False)
    assert importlib.reload(module).BENCHMARK_FLOOR_VIEW is False
    monkeypatch.setenv("BENCHMARK_FLOOR_VIEW", "true")
    assert importlib.reload(module).BENCHMARK_FLOOR_VIEW is True
