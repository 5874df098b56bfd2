"""Tests for accounts.initdata: plain pytest, no Django, no database."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from accounts import initdata
from accounts.initdata import (
    BadSignature,
    DuplicateKey,
    Empty,
    Expired,
    FromTheFuture,
    InitData,
    InitDataError,
    Malformed,
    MalformedUser,
    MissingHash,
    TelegramUser,
    sign,
    sign_user,
    validate,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
NOW = 1_700_000_000
USER = {
    "id": 279058397,
    "first_name": "Vladislav",
    "last_name": "Kibenko",
    "username": "vdkfrost",
    "language_code": "ru",
    "is_premium": True,
    "allows_write_to_pm": True,
    "photo_url": "https://t.me/i/userpic/320/abc.jpg",
}


def reference_hash(check_string: str, token: str = TOKEN) -> str:
    """An independent implementation of Telegram's algorithm, straight from the docs."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()


def signed(user=None, token=TOKEN, auth_date=NOW, **extra) -> str:
    return sign_user(USER if user is None else user, token, auth_date=auth_date, **extra)


def replace_field(init_data: str, key: str, value: str) -> str:
    return urlencode([(k, value if k == key else v) for k, v in parse_qsl(init_data)])


def drop_field(init_data: str, key: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(init_data) if k != key])


# --- first party: the happy path -------------------------------------------------------------


def test_valid_init_data_returns_the_typed_result_with_all_fields():
    data = signed(
        query_id="AAHdF6IQAAAAAN0XohDhrOrc",
        start_param="deck_42",
        chat_type="sender",
        chat_instance="-4213338585139867",
    )
    result = validate(data, TOKEN, now=NOW)
    assert result == InitData(
        auth_date=datetime.fromtimestamp(NOW, UTC),
        user=TelegramUser(**USER),
        start_param="deck_42",
        chat_type="sender",
        chat_instance="-4213338585139867",
        query_id="AAHdF6IQAAAAAN0XohDhrOrc",
    )
    assert result.auth_date.tzinfo is UTC


def test_optional_fields_default_to_empty_and_no_user_gives_none():
    result = validate(sign({"auth_date": str(NOW)}, TOKEN), TOKEN, now=NOW)
    assert result.user is None
    assert (result.start_param, result.chat_type, result.chat_instance, result.query_id) == (
        "",
        "",
        "",
        "",
    )


def test_a_minimal_user_gets_default_fields_and_unknown_fields_are_ignored():
    user = {"id": 1, "first_name": "A", "added_to_attachment_menu": True}
    result = validate(signed(user), TOKEN, now=NOW)
    assert result.user == TelegramUser(id=1, first_name="A")


def test_sign_agrees_with_an_independent_implementation():
    fields = dict(parse_qsl(signed()))
    received = fields.pop("hash")
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    assert received == reference_hash(check_string)


def test_sign_user_defaults_auth_date_to_now():
    result = validate(sign_user({"id": 7, "first_name": "Now"}, TOKEN), TOKEN)
    assert abs(result.auth_date.timestamp() - datetime.now(UTC).timestamp()) < 5


# --- first party: signatures ------------------------------------------------------------------


def test_it_rejects_a_tampered_value():
    tampered = replace_field(signed(), "auth_date", str(NOW + 1))
    with pytest.raises(BadSignature):
        validate(tampered, TOKEN, now=NOW)


def test_it_rejects_a_tampered_user():
    tampered = replace_field(signed(), "user", json.dumps({**USER, "id": 1}, separators=(",", ":")))
    with pytest.raises(BadSignature):
        validate(tampered, TOKEN, now=NOW)


def test_it_rejects_an_added_field():
    with pytest.raises(BadSignature):
        validate(signed() + "&start_param=evil", TOKEN, now=NOW)


def test_it_rejects_data_signed_with_another_token():
    with pytest.raises(BadSignature):
        validate(signed(token="987654321:OTHER"), TOKEN, now=NOW)


def test_it_rejects_a_hash_that_is_not_hex_without_crashing():
    for bogus in ("zz", "é" * 64, "\x00", "A" * 1000):
        with pytest.raises(BadSignature):
            validate(replace_field(signed(), "hash", bogus), TOKEN, now=NOW)


def test_it_rejects_an_uppercase_hash_because_telegram_sends_lowercase():
    data = replace_field(signed(), "hash", dict(parse_qsl(signed()))["hash"].upper())
    with pytest.raises(BadSignature):
        validate(data, TOKEN, now=NOW)


def test_the_secret_is_hmac_of_the_token_not_its_sha256_like_the_login_widget():
    fields = {"auth_date": str(NOW), "user": json.dumps(USER)}
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    widget_secret = hashlib.sha256(TOKEN.encode()).digest()
    widget_hash = hmac.new(widget_secret, check_string.encode(), hashlib.sha256).hexdigest()
    with pytest.raises(BadSignature):
        validate(urlencode({**fields, "hash": widget_hash}), TOKEN, now=NOW)


def test_an_empty_bot_token_is_a_configuration_error():
    with pytest.raises(ValueError):
        validate(signed(), "", now=NOW)


# --- first party: the `signature` field and exact bytes ---------------------------------------


def test_a_signature_field_stays_in_the_check_string():
    fields = {"auth_date": str(NOW), "user": json.dumps(USER), "signature": "c2lnbmF0dXJl"}
    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    data = urlencode({**fields, "hash": reference_hash(check_string)})
    assert validate(data, TOKEN, now=NOW).user.id == USER["id"]
    with pytest.raises(BadSignature):
        validate(drop_field(data, "signature"), TOKEN, now=NOW)


def test_json_with_escaped_slashes_validates_because_it_is_never_reserialised():
    user_json = (
        '{"id":42,"first_name":"Ann","photo_url":"https:\\/\\/t.me\\/i\\/userpic\\/320\\/a.jpg"}'
    )
    check_string = f"auth_date={NOW}\nuser={user_json}"
    data = f"user={quote(user_json, safe='')}&auth_date={NOW}&hash={reference_hash(check_string)}"
    result = validate(data, TOKEN, now=NOW)
    assert result.user.photo_url == "https://t.me/i/userpic/320/a.jpg"


def test_plus_means_space_and_unicode_and_emoji_round_trip():
    user = {"id": 5, "first_name": "Zoë Ann 🦊", "last_name": "Ça va 日本", "username": "a+b"}
    data = signed(user)
    assert "+" in data  # urlencode writes spaces as "+"
    assert validate(data, TOKEN, now=NOW).user == TelegramUser(**user)


def test_percent_20_and_plus_decode_to_the_same_signed_value():
    user_json = '{"id":5,"first_name":"Zoë 🦊 Ann"}'
    check_string = f"auth_date={NOW}\nuser={user_json}"
    digest = reference_hash(check_string)
    with_plus = f"auth_date={NOW}&user={quote(user_json, safe=' ').replace(' ', '+')}"
    with_pct = f"auth_date={NOW}&user={quote(user_json, safe='')}"
    for data in (with_plus, with_pct):
        assert validate(f"{data}&hash={digest}", TOKEN, now=NOW).user.first_name == "Zoë 🦊 Ann"


def test_invalid_utf8_percent_escapes_are_malformed_rather_than_lossily_decoded():
    with pytest.raises(Malformed):
        validate(f"auth_date={NOW}&first_name=%FF&hash=00", TOKEN, now=NOW)


# --- freshness --------------------------------------------------------------------------------


def test_it_rejects_expired_init_data():
    with pytest.raises(Expired):
        validate(signed(auth_date=NOW - 86401), TOKEN, now=NOW)


def test_it_accepts_init_data_exactly_max_age_old_and_honours_a_custom_max_age():
    assert validate(signed(auth_date=NOW - 86400), TOKEN, now=NOW)
    with pytest.raises(Expired):
        validate(signed(auth_date=NOW - 301), TOKEN, max_age=300, now=NOW)


def test_it_rejects_init_data_from_the_future():
    with pytest.raises(FromTheFuture):
        validate(signed(auth_date=NOW + initdata.FUTURE_SKEW + 1), TOKEN, now=NOW)


def test_it_accepts_init_data_slightly_in_the_future_within_the_clock_skew():
    result = validate(signed(auth_date=NOW + initdata.FUTURE_SKEW), TOKEN, now=NOW)
    assert result.auth_date.timestamp() == NOW + initdata.FUTURE_SKEW


def test_a_huge_auth_date_is_from_the_future_not_an_overflow():
    with pytest.raises(FromTheFuture):
        validate(sign({"auth_date": "9" * 12}, TOKEN), TOKEN, now=NOW)


def test_signature_is_checked_before_freshness():
    with pytest.raises(BadSignature):
        validate(signed(auth_date=NOW - 10**6, token="1:other"), TOKEN, now=NOW)


@pytest.mark.parametrize(
    "auth_date", ["", "abc", "1e9", "-5", "+5", " 5", "1_000", "١٢٣", "9" * 13]
)
def test_a_missing_or_non_integer_auth_date_is_malformed(auth_date):
    with pytest.raises(Malformed):
        validate(sign({"auth_date": auth_date}, TOKEN), TOKEN, now=NOW)


def test_signed_init_data_without_auth_date_is_malformed():
    with pytest.raises(Malformed):
        validate(sign({"query_id": "x"}, TOKEN), TOKEN, now=NOW)


# --- structure --------------------------------------------------------------------------------


def test_it_rejects_init_data_without_a_hash():
    for data in (drop_field(signed(), "hash"), replace_field(signed(), "hash", "")):
        with pytest.raises(MissingHash):
            validate(data, TOKEN, now=NOW)


def test_an_empty_string_is_malformed_and_says_so():
    with pytest.raises(Empty) as caught:
        validate("", TOKEN, now=NOW)
    assert isinstance(caught.value, Malformed)
    assert "empty" in caught.value.reason


def test_it_rejects_a_duplicate_key_even_with_a_valid_hash():
    with pytest.raises(DuplicateKey):
        validate(signed() + f"&auth_date={NOW}", TOKEN, now=NOW)
    with pytest.raises(DuplicateKey):
        validate(signed() + "&hash=00", TOKEN, now=NOW)


@pytest.mark.parametrize("data", ["a", "=&=", "%zz", "=1", "a=1&&b=2", "&", "a=1&", "&hash=00"])
def test_malformed_query_strings_are_rejected(data):
    with pytest.raises(Malformed):
        validate(data, TOKEN, now=NOW)


@pytest.mark.parametrize("data", [None, b"auth_date=1&hash=00", 123, ["a"], {"hash": "00"}])
def test_input_that_is_not_a_str_is_malformed(data):
    with pytest.raises(Malformed):
        validate(data, TOKEN, now=NOW)


@pytest.mark.parametrize(
    "data",
    ["\udcff", "\x00", "hash=\udcff", "a=\udcff&hash=00", "a=\x00&hash=00", "\ufeffa=1", "%",
     "a=%ED%A0%80&hash=00", "user=" + "[" * 100_000 + "&hash=00", "a==b&hash=0&auth_date=1"],
)  # fmt: skip
def test_weird_input_raises_only_init_data_errors(data):
    with pytest.raises(InitDataError):
        validate(data, TOKEN, now=NOW)


# --- the user field ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_json",
    [
        "not json",
        "",
        "[1, 2]",
        "null",
        "42",
        '"id"',
        '{"first_name": "A"}',
        '{"id": "42", "first_name": "A"}',
        '{"id": true, "first_name": "A"}',
        '{"id": 42.0, "first_name": "A"}',
        '{"id": 0, "first_name": "A"}',
        '{"id": -1, "first_name": "A"}',
        '{"id": 9223372036854775808, "first_name": "A"}',
        '{"id": NaN, "first_name": "A"}',
        '{"id": 42, "first_name": 5}',
        '{"id": 42, "first_name": "A", "username": ["a"]}',
        '{"id": 42, "first_name": "A", "is_premium": "yes"}',
        '{"id": 42, "first_name": "A", "allows_write_to_pm": 1}',
        "[" * 100_000,
    ],
)
def test_a_malformed_user_is_rejected(user_json):
    with pytest.raises(MalformedUser):
        validate(sign({"auth_date": str(NOW), "user": user_json}, TOKEN), TOKEN, now=NOW)


def test_the_largest_64_bit_user_id_is_accepted():
    user = {"id": 2**63 - 1, "first_name": "Big"}
    assert validate(signed(user), TOKEN, now=NOW).user.id == 2**63 - 1


def test_errors_carry_a_short_reason_safe_for_a_401_body():
    with pytest.raises(Expired) as caught:
        validate(signed(auth_date=0), TOKEN, now=NOW)
    assert caught.value.reason == "init data has expired"
    for cls in (MissingHash, BadSignature, FromTheFuture, Malformed, DuplicateKey, MalformedUser):
        assert issubclass(cls, InitDataError)
        assert cls.reason and cls.reason.isascii() and len(cls.reason) < 80


def test_sign_replaces_a_hash_given_in_the_fields():
    data = sign({"auth_date": str(NOW), "hash": "00"}, TOKEN)
    assert validate(data, TOKEN, now=NOW).user is None
