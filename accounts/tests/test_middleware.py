import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from accounts import initdata
from accounts.middleware import TelegramInitDataMiddleware
from accounts.models import User
from conftest import TEST_BOT_TOKEN, htmx, sign_for

NEW_LEARNER = {"id": 777, "first_name": "Zoë", "last_name": "Ng", "language_code": "ru"}


def tma(init_data: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"tma {init_data}"}


@pytest.mark.django_db
def test_an_htmx_request_without_init_data_is_a_401(client):
    response = client.get("/", **htmx())
    assert response.status_code == 401
    assert response.content == b"init data is missing"


@pytest.mark.django_db
def test_a_plain_page_load_without_init_data_gets_the_shell(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"data-shell" in response.content
    assert b"telegram-web-app.js" in response.content


@pytest.mark.django_db
def test_the_shell_offers_no_demo_login_when_debug_is_off(client):
    assert b"/dev/login/" not in client.get("/").content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "tma ",
        "tma garbage",
        "tma hash=00&auth_date=1",
        "tma user=%7B%7D&auth_date=1&hash=abc",
        "tma \u00ff\u00fe",
    ],
)
def test_a_bad_header_is_a_401_with_a_reason(client, header):
    response = client.get("/", HTTP_AUTHORIZATION=header, **htmx())
    assert response.status_code == 401
    assert response.content
    assert not User.objects.exists()


@pytest.mark.django_db
def test_bytes_that_are_not_utf8_are_a_401_not_a_500(client):
    # WSGI hands headers over as latin-1 strings; invalid UTF-8 arrives as such characters.
    raw = "tma user=\xff\xfe\xfd&auth_date=1&hash=" + "0" * 64
    response = client.get("/", HTTP_AUTHORIZATION=raw, **htmx())
    assert response.status_code == 401


@pytest.mark.django_db
def test_a_tampered_init_data_is_a_401(client):
    signed = sign_for(NEW_LEARNER)
    response = client.get("/", **tma(signed.replace("Ng", "Xx")), **htmx())
    assert response.status_code == 401
    assert not User.objects.exists()


@pytest.mark.django_db
def test_expired_init_data_is_a_401_that_says_so(client, settings):
    settings.TELEGRAM_INIT_DATA_MAX_AGE = 60
    signed = sign_for(NEW_LEARNER, auth_date=int(time.time()) - 120)
    response = client.get("/", **tma(signed), **htmx())
    assert response.status_code == 401
    assert b"expired" in response.content


@pytest.mark.django_db
def test_init_data_signed_with_another_token_is_a_401(client):
    signed = initdata.sign_user(NEW_LEARNER, "999:another-bots-token")
    assert client.get("/", **tma(signed), **htmx()).status_code == 401


@pytest.mark.django_db
def test_the_first_visit_creates_the_learner(client):
    response = client.get("/", **tma(sign_for(NEW_LEARNER)), **htmx())
    assert response.status_code == 200
    user = User.objects.get(telegram_id=777)
    assert (user.first_name, user.last_name, user.language_code) == ("Zoë", "Ng", "ru")
    assert user.username == "tg777"
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_a_changed_name_updates_the_learner(client):
    client.get("/", **tma(sign_for(NEW_LEARNER)), **htmx())
    renamed = {**NEW_LEARNER, "first_name": "Zoe", "is_premium": True}
    client.get("/", **tma(sign_for(renamed)), **htmx())
    user = User.objects.get(telegram_id=777)
    assert user.first_name == "Zoe"
    assert user.is_premium
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_an_unchanged_learner_costs_one_query_and_no_write(
    client, alice, django_assert_num_queries
):
    middleware = TelegramInitDataMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/", **tma(sign_for(alice)))
    with django_assert_num_queries(1):
        assert middleware(request).status_code == 200
    assert request.user == alice


@pytest.mark.django_db
def test_the_learner_sees_their_language(client):
    response = client.get("/", **tma(sign_for(NEW_LEARNER)), **htmx())
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ru"


@pytest.mark.django_db
def test_header_requests_need_no_csrf_token(settings):
    settings.DEBUG = True
    client = Client(enforce_csrf_checks=True)
    response = client.post("/dev/login/", **tma(sign_for(NEW_LEARNER)))
    assert response.status_code == 302


@pytest.mark.django_db
def test_session_requests_keep_csrf_protection(settings, staff):
    settings.DEBUG = True
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post("/dev/login/").status_code == 403
    assert client.post("/admin/logout/").status_code == 403


@pytest.mark.django_db
def test_the_development_login_signs_init_data_for_a_demo_learner(settings, client):
    settings.DEBUG = True
    response = client.post("/dev/login/", {"language": "ru"})
    assert response.status_code == 302
    fragment = parse_qs(urlsplit(response["Location"]).fragment)
    data = initdata.validate(fragment["tgWebAppData"][0], TEST_BOT_TOKEN)
    assert data.user.first_name == "Demo"
    assert data.user.language_code == "ru"


@pytest.mark.django_db
def test_the_development_login_does_not_exist_when_debug_is_off(client):
    assert client.post("/dev/login/").status_code == 404


@pytest.mark.django_db
def test_the_shell_offers_the_demo_login_when_debug_is_on(settings, client):
    settings.DEBUG = True
    assert b"/dev/login/" in client.get("/").content
