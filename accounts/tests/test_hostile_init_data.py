"""Hostile input at initData validation: whatever arrives, the parser raises only InitDataError
subclasses and the middleware answers 401 (or lets a validly signed learner in), never 500."""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts import initdata
from accounts.initdata import InitData, InitDataError
from conftest import TEST_BOT_TOKEN, htmx

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
NOW = 1_700_000_000

KEYS = st.one_of(
    st.sampled_from(["auth_date", "user", "hash", "signature", "query_id", "start_param"]),
    st.text(max_size=12),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
USER_FIELDS = ["id", "first_name", "last_name", "username", "language_code", "is_premium",
               "allows_write_to_pm", "photo_url"]  # fmt: skip
USERS = st.dictionaries(st.sampled_from(USER_FIELDS) | st.text(max_size=8), JSON_VALUES)
# Text as a WSGI server hands it over: header bytes decoded as latin-1.
HEADER_BYTES = st.binary(max_size=300).map(lambda raw: raw.decode("latin-1"))


def validate_or_refuse(raw) -> InitData | None:
    try:
        return initdata.validate(raw, TOKEN, now=NOW)
    except InitDataError:
        return None


@given(st.text())
@example("hash=")
@example("user=%ZZ&hash=00")
@example("a=\udcff")
def test_the_parser_raises_only_init_data_errors_for_any_text(raw):
    validate_or_refuse(raw)


@given(st.binary())
def test_the_parser_raises_only_init_data_errors_for_any_bytes(raw):
    validate_or_refuse(raw)
    validate_or_refuse(raw.decode("utf-8", errors="surrogateescape"))


@given(st.lists(st.tuples(KEYS, st.text()), max_size=6))
def test_the_parser_raises_only_init_data_errors_for_any_fields(pairs):
    validate_or_refuse(urlencode(pairs))


@given(st.dictionaries(KEYS, st.text(), max_size=6))
def test_the_parser_refuses_or_accepts_any_validly_signed_fields(fields):
    data = validate_or_refuse(initdata.sign({"auth_date": str(NOW), **fields}, TOKEN))

    assert data is None or data.auth_date.timestamp() == int(fields.get("auth_date", NOW))


@given(st.one_of(USERS, JSON_VALUES))
def test_the_parser_refuses_or_accepts_any_validly_signed_user(user):
    data = validate_or_refuse(initdata.sign_user(user, TOKEN, auth_date=NOW))

    assert data is None or data.user.id == user["id"]


@pytest.fixture
def floor_on(settings):
    # The cheapest learner-only view: what is under test here is the middleware in front of it.
    settings.BENCHMARK_FLOOR_VIEW = True


FIXTURES_OK = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FIXTURES_OK
@given(header=HEADER_BYTES)
def test_the_middleware_answers_401_to_any_header_bytes(client, db, floor_on, header):
    response = client.get("/bench/floor/", **htmx(), HTTP_AUTHORIZATION=f"tma {header}")

    assert response.status_code == 401


@FIXTURES_OK
@given(header=st.text(max_size=300))
def test_the_middleware_answers_401_to_any_header_text(client, db, floor_on, header):
    try:
        header.encode("latin-1")
    except UnicodeEncodeError:
        header = header.encode("utf-8", errors="surrogatepass").decode("latin-1")
    response = client.get("/bench/floor/", **htmx(), HTTP_AUTHORIZATION=f"tma {header}")

    assert response.status_code == 401


@FIXTURES_OK
@given(user=USERS)
@example(user={"id": 5, "first_name": "nul \x00 in a name"})
@example(user={"id": 6, "first_name": "A", "photo_url": "https://t.me/\x00", "username": "a" * 99})
def test_the_middleware_never_fails_on_a_validly_signed_user(client, db, floor_on, user):
    signed = initdata.sign_user(user, TEST_BOT_TOKEN)
    response = client.get("/bench/floor/", **htmx(), HTTP_AUTHORIZATION=f"tma {signed}")

    assert response.status_code in (200, 401)
    assert (response.status_code == 200) == _is_valid_user(user)


def _is_valid_user(user) -> bool:
    try:
        initdata._user(json.dumps(user))
    except InitDataError:
        return False
    return True
