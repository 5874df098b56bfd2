import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory

from accounts import initdata
from accounts.middleware import TelegramInitDataMiddleware
from accounts.models import User
from cards.models import Card, Deck, ReviewLog
from conftest import TEST_BOT_TOKEN, htmx, make_card, sign_for

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


# Correctly signed initData that names no learner

NO_USER_REQUESTS = [
    pytest.param("get", "/", {}, id="home"),
    pytest.param("get", "/decks/new/", {}, id="new-deck-form"),
    pytest.param("post", "/decks/new/", {"name": "Nobody's"}, id="new-deck"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("as_htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("method", "url", "data"), NO_USER_REQUESTS)
def test_correctly_signed_init_data_without_a_user_is_a_401_not_a_500(method, url, data, as_htmx):
    signed = initdata.sign({"auth_date": str(int(time.time()))}, TEST_BOT_TOKEN)
    assert initdata.validate(signed, TEST_BOT_TOKEN).user is None  # it is valid, only userless
    client = Client(raise_request_exception=False)
    extra = htmx() if as_htmx else {}

    response = getattr(client, method)(url, data, **tma(signed), **extra)

    assert response.status_code == 401
    assert response.content == b"init data carries no user"
    assert not User.objects.exists()
    assert not Deck.objects.exists()


# A header that is there but wrong, in front of real learner pages: always the middleware's
# 401 with its reason, never the page, never the shell, and nothing written.


def _with_hash(init_data: str, new_hash: str) -> str:
    fields = [field for field in init_data.split("&") if not field.startswith("hash=")]
    return "&".join([*fields, f"hash={new_hash}"] if new_hash is not None else fields)


def _wrong_hash(alice):
    signed = sign_for(alice)
    good = signed.rsplit("hash=", 1)[1]
    return _with_hash(signed, "0" * 64 if good != "0" * 64 else "1" * 64)


BAD_HEADERS = [
    pytest.param(_wrong_hash, initdata.BadSignature, id="wrong-hash"),
    pytest.param(
        lambda alice: sign_for(alice).replace("%22id%22%3A111%2C", "%22id%22%3A222%2C"),
        initdata.BadSignature,
        id="forged-user-id",
    ),
    pytest.param(
        lambda alice: initdata.sign_user({"id": 111, "first_name": "Alice"}, "999:other-bot"),
        initdata.BadSignature,
        id="another-bots-token",
    ),
    pytest.param(lambda alice: "tma " + sign_for(alice), initdata.BadSignature, id="tma-twice"),
    pytest.param(
        lambda alice: sign_for(alice, auth_date=int(time.time()) - 86401),
        initdata.Expired,
        id="expired",
    ),
    pytest.param(
        lambda alice: sign_for(alice, auth_date=int(time.time()) + 3600),
        initdata.FromTheFuture,
        id="from-the-future",
    ),
    pytest.param(
        lambda alice: _with_hash(sign_for(alice), None), initdata.MissingHash, id="no-hash"
    ),
    pytest.param(
        lambda alice: sign_for(alice) + "&hash=00",
        initdata.DuplicateKey,
        id="duplicate-hash",
    ),
    pytest.param(lambda alice: "garbage", initdata.Malformed, id="garbage"),
    pytest.param(lambda alice: "", initdata.Empty, id="empty"),
    pytest.param(
        lambda alice: "user=\xff\xfe&auth_date=1&hash=" + "0" * 64,
        initdata.BadSignature,
        id="not-utf8",
    ),
    pytest.param(
        lambda alice: initdata.sign(
            {"auth_date": str(int(time.time())), "user": "[111]"}, TEST_BOT_TOKEN
        ),
        initdata.MalformedUser,
        id="signed-malformed-user",
    ),
]


@pytest.fixture
def learner_data(alice):
    """Alice with a deck and a new card: what a let-through request could show or change."""
    deck = Deck.objects.create(owner=alice, name="Alice's secret deck")
    card = make_card(deck=deck, front="alice-front", back="alice-back")
    return deck, card


def everything_stored():
    return [list(model.objects.order_by("pk").values()) for model in (User, Deck, Card, ReviewLog)]


def assert_refused_by_the_middleware(response, error):
    assert response.status_code == 401
    assert response.content.decode() == error.reason
    assert response["WWW-Authenticate"] == f'tma realm="phraseweaver", error="{error.code}"'
    assert b"data-shell" not in response.content
    assert b"alice-" not in response.content


LEARNER_PAGES = [
    pytest.param("/", id="home"),
    pytest.param("/decks/{deck}/", id="deck"),
    pytest.param("/review/", id="review"),
    pytest.param("/settings/", id="settings"),
    pytest.param("/decks/{deck}/export/?format=csv", id="deck-csv"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("as_htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("page", LEARNER_PAGES)
@pytest.mark.parametrize(("header", "error"), BAD_HEADERS)
def test_a_bad_header_on_a_learner_page_is_the_middlewares_401_not_the_page_nor_the_shell(
    client, alice, learner_data, header, error, page, as_htmx
):
    deck, card = learner_data
    before = everything_stored()
    extra = htmx() if as_htmx else {}

    response = client.get(page.format(deck=deck.pk), **tma(header(alice)), **extra)

    assert_refused_by_the_middleware(response, error)
    assert everything_stored() == before


LEARNER_POSTS = [
    pytest.param("/decks/new/", {"name": "Written anyway"}, id="new-deck"),
    pytest.param("/review/cards/{card}/grade/", {"rating": 3, "version": 0}, id="grade"),
    pytest.param("/settings/", {"reminders_enabled": "on", "reminder_hour": "7"}, id="reminders"),
    pytest.param("/decks/{deck}/delete/", {}, id="delete-deck"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("as_htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("url", "data"), LEARNER_POSTS)
@pytest.mark.parametrize(("header", "error"), BAD_HEADERS)
def test_a_bad_header_on_a_learner_post_is_the_middlewares_401_and_writes_nothing(
    client, alice, learner_data, header, error, url, data, as_htmx
):
    deck, card = learner_data
    before = everything_stored()
    extra = htmx() if as_htmx else {}

    response = client.post(
        url.format(deck=deck.pk, card=card.pk), data, **tma(header(alice)), **extra
    )

    assert_refused_by_the_middleware(response, error)
    assert everything_stored() == before


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
@pytest.mark.parametrize(
    ("asked", "landing"),
    [("/decks/7/?page=2", "/decks/7/?page=2"), ("https://evil.example/", "/"), ("", "/")],
)
def test_the_development_login_lands_on_the_screen_it_was_asked_for(
    settings, client, asked, landing
):
    settings.DEBUG = True
    response = client.post("/dev/login/", {"next": asked})
    assert response["Location"].split("#")[0] == landing


@pytest.mark.django_db
def test_the_development_login_does_not_exist_when_debug_is_off(client):
    assert client.post("/dev/login/").status_code == 404


@pytest.mark.django_db
def test_the_shell_offers_the_demo_login_when_debug_is_on(settings, client):
    settings.DEBUG = True
    assert b"/dev/login/" in client.get("/").content
