"""Validate Telegram Mini App initData (docs/architecture.md, "initData"). Pure: no Django.

Bad *input* raises an `InitDataError` subclass whose `reason` is safe to show the client; an empty
string raises `Empty` (a `Malformed`), so the UI can say "open the app from the bot's button".
Misconfiguration (empty bot token, bad public key) raises ValueError.
"""

import dataclasses
import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

DEFAULT_MAX_AGE = 86400
FUTURE_SKEW = 60

_AUTH_DATE = re.compile(r"[0-9]{1,12}")  # ASCII only: int() would accept "+1", "1_0", "١"
_PLAIN_FIELDS = ("start_param", "chat_type", "chat_instance", "query_id")


class InitDataError(Exception):
    reason = "invalid init data"
    code = "invalid"  # for the client's script; only an expired one is worth telling apart

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.reason)  # detail is for logs, `reason` for clients


class MissingHash(InitDataError):
    reason = "init data has no hash"


class BadSignature(InitDataError):
    reason = "init data signature is invalid"


class Expired(InitDataError):
    reason = "init data has expired"
    code = "expired"


class FromTheFuture(InitDataError):
    reason = "init data is from the future"


class Malformed(InitDataError):
    reason = "init data is malformed"


class Empty(Malformed):
    reason = "init data is empty: open the app from the bot's button"


class DuplicateKey(InitDataError):
    reason = "init data has a duplicate key"


class MalformedUser(InitDataError):
    reason = "init data user is malformed"


@dataclasses.dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    last_name: str = ""
    username: str = ""
    language_code: str = ""
    is_premium: bool = False
    allows_write_to_pm: bool = False
    photo_url: str = ""


@dataclasses.dataclass(frozen=True)
class InitData:
    auth_date: datetime
    user: TelegramUser | None
    start_param: str = ""
    chat_type: str = ""
    chat_instance: str = ""
    query_id: str = ""


def _parse(init_data: object) -> dict[str, str]:
    if not isinstance(init_data, str):
        raise Malformed(f"init data must be a str, not {type(init_data).__name__}")
    if not init_data:
        raise Empty()
    try:
        init_data.encode("utf-8")  # lone surrogates would otherwise crash the HMAC later
        # errors="strict": lossy decoding would let different inputs share one signature.
        pairs = parse_qsl(init_data, strict_parsing=True, keep_blank_values=True, errors="strict")
    except ValueError as exc:  # includes UnicodeError
        raise Malformed(str(exc)) from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if not key:
            raise Malformed("empty key")
        if key in fields:  # parsers disagree on which duplicate wins: refuse to guess
            raise DuplicateKey(f"duplicate key {key!r}")
        fields[key] = value
    return fields


def _check_string(fields: dict[str, str], *drop: str) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in drop)


def _hash(check_string: str, bot_token: str) -> str:
    if not bot_token:
        raise ValueError("bot token is empty")
    # HMAC(key="WebAppData", token), not SHA256(token): the latter is the Login Widget's scheme.
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()


def _user(raw: str) -> TelegramUser:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedUser("user is not JSON") from None
    return telegram_user(data)


def telegram_user(data: object) -> TelegramUser:
    """A Telegram user object (initData's `user`, a bot update's `from`), checked field by field.

    Raises MalformedUser unless the id fits our BigIntegerField and every known field has its type.
    """
    if not isinstance(data, dict):
        raise MalformedUser("user is not a JSON object")
    uid = data.get("id")
    # bool is an int subclass; floats and ids past 2**63-1 would not fit a BigIntegerField.
    if type(uid) is not int or not 0 < uid < 2**63:
        raise MalformedUser("user id is not a positive 64-bit integer")
    kwargs: dict[str, Any] = {"id": uid, "first_name": ""}
    for field in dataclasses.fields(TelegramUser)[1:]:
        value = data.get(field.name)
        if value is None:  # absent (or null): keep the default
            continue
        # A dataclass field's type may be a string; TelegramUser's are real types: str or bool.
        expected = cast(type, field.type)
        if not isinstance(value, expected):
            raise MalformedUser(f"user {field.name} is not a {expected.__name__}")
        kwargs[field.name] = value
    return TelegramUser(**kwargs)


def _build(fields: dict[str, str], max_age: int, now: float | None) -> InitData:
    raw_date = fields.get("auth_date", "")
    if not _AUTH_DATE.fullmatch(raw_date):
        raise Malformed("auth_date is missing or not an integer")
    auth_date = int(raw_date)
    now = time.time() if now is None else now
    if now - auth_date > max_age:
        raise Expired(f"auth_date is {int(now - auth_date)}s old")
    if auth_date - now > FUTURE_SKEW:
        raise FromTheFuture(f"auth_date is {int(auth_date - now)}s ahead")
    user = _user(fields["user"]) if "user" in fields else None
    plain = {name: fields.get(name, "") for name in _PLAIN_FIELDS}
    return InitData(datetime.fromtimestamp(auth_date, UTC), user, **plain)


def validate(
    init_data: str, bot_token: str, *, max_age: int = DEFAULT_MAX_AGE, now: float | None = None
) -> InitData:
    """First-party check (we know the bot token): HMAC-SHA256, then freshness."""
    fields = _parse(init_data)
    received = fields.get("hash")
    if not received:
        raise MissingHash()
    expected = _hash(_check_string(fields, "hash"), bot_token)  # `signature` stays in
    # Compare bytes: compare_digest on str raises TypeError for non-ASCII input.
    if not hmac.compare_digest(expected.encode(), received.encode()):
        raise BadSignature()
    return _build(fields, max_age, now)


def sign(fields: dict[str, str], bot_token: str) -> str:
    """Build valid initData (development login, tests); a `hash` in `fields` is replaced."""
    fields = {k: v for k, v in fields.items() if k != "hash"}
    return urlencode({**fields, "hash": _hash(_check_string(fields), bot_token)})


def sign_user(user: dict, bot_token: str, *, auth_date: int | None = None, **extra: str) -> str:
    """Sign initData for `user` (a dict, JSON-encoded compactly); auth_date defaults to now."""
    when = int(time.time()) if auth_date is None else auth_date
    user_json = json.dumps(user, separators=(",", ":"), ensure_ascii=False)
    return sign({"auth_date": str(when), "user": user_json, **extra}, bot_token)
