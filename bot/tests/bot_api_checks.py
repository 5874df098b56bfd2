"""What is wrong with a Bot API request, checked for every request the local server receives.

Two checks, both stricter than Telegram's answers (Telegram ignores a field it does not know,
so a misspelt `parse_mod` would pass in production and do nothing):

- the request is parsed with aiogram's model of the method (`aiogram.methods.SendMessage`…),
  which catches an unknown method and a wrong type; aiogram's models accept unknown fields
  (`extra='allow'`), so every model in the parsed tree must have an empty `model_extra`;
- Telegram's documented limits: texts 4,096 characters and captions 1,024 (after entity
  parsing), callback data 1-64 bytes, 50 inline results with ids of 1-64 bytes, start
  parameters of t.me links 1-64 characters of A-Z, a-z, 0-9, _ and -, web_app buttons only
  https and never in a message sent through inline mode (they work in the bot's private chat
  only), uploads of 50 MB (photos 10 MB).

The fixture `telegram` (conftest.py) fails a test whose requests have any problem.
"""

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import aiogram.methods
from aiogram.methods.base import TelegramMethod
from aiogram.types import BufferedInputFile
from pydantic import BaseModel, ValidationError

TEXT_LIMIT = 4096  # characters of a message's text, after entity parsing
CAPTION_LIMIT = 1024
CALLBACK_ANSWER_LIMIT = 200
CALLBACK_DATA_LIMIT = 64  # bytes
INLINE_RESULTS_LIMIT = 50
INLINE_RESULT_ID_LIMIT = 64  # bytes
UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024
START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Messages sent through inline mode land in chats where web_app buttons do not work.
INLINE_METHODS = ("answerInlineQuery", "savePreparedInlineMessage", "answerWebAppQuery")

METHODS: dict[str, type[TelegramMethod]] = {
    cls.__api_method__: cls
    for cls in (getattr(aiogram.methods, name) for name in aiogram.methods.__all__)
    if isinstance(cls, type) and issubclass(cls, TelegramMethod) and hasattr(cls, "__api_method__")
}


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    filename: str
    content: bytes


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


@functools.lru_cache(maxsize=1024)  # the server's refusal and the checks read each text
def visible_text(text: str, parse_mode: object = None) -> str:
    """What Telegram shows of a text: with parse_mode HTML the tags go and each entity
    (&lt; &amp; …) is the one character it stands for."""
    if parse_mode != "HTML":
        return text
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def telegram_length(text: str) -> int:
    """Length as Telegram measures entities, in UTF-16 code units (an emoji may count two):
    the stricter of the two readings of "characters", so what passes here passes Telegram."""
    return len(text.encode("utf-16-le")) // 2


def problems(method: str, body: dict) -> list[str]:
    """Everything wrong with this request; empty if it is right."""
    model = METHODS.get(method)
    if model is None:
        return [f"{method}: not a Bot API method"]
    try:
        parsed = model.model_validate(_for_aiogram(body))
    except ValidationError as error:
        return [f"{method}: {error}"]
    found = [f"{method}: unknown field {path}" for path in _extra_fields(parsed, "")]
    found += [f"{method}: {problem}" for problem in _limits(method, body)]
    return found


def _for_aiogram(body: dict) -> dict:
    """A multipart body as aiogram's models take it: files as input files, JSON as JSON."""
    return {
        key: BufferedInputFile(value.content, value.filename)
        if isinstance(value, Upload)
        else _json(value)
        for key, value in body.items()
    }


def _extra_fields(value: object, path: str) -> Iterator[str]:
    if isinstance(value, BaseModel):
        for name in value.model_extra or {}:
            yield f"{path}.{name}".lstrip(".")
        for name in type(value).model_fields:
            yield from _extra_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _extra_fields(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _extra_fields(item, f"{path}.{key}")


def _limits(method: str, body: dict) -> Iterator[str]:
    parse_mode = body.get("parse_mode")
    if method in ("sendMessage", "editMessageText"):
        yield from _text(body.get("text"), parse_mode)
    if body.get("caption") is not None:
        yield from _caption(body["caption"], parse_mode)
    answer = str(body.get("text") or "") if method == "answerCallbackQuery" else ""
    if telegram_length(answer) > CALLBACK_ANSWER_LIMIT:
        yield f"callback answer longer than {CALLBACK_ANSWER_LIMIT} characters"
    for name, value in body.items():
        if isinstance(value, Upload):
            limit = PHOTO_UPLOAD_LIMIT if method == "sendPhoto" else UPLOAD_LIMIT
            if len(value.content) > limit:
                yield f"{name}: a file of {len(value.content)} bytes, over {limit}"
    markup = _json(body.get("reply_markup"))
    yield from _keyboard(markup, inline=method in INLINE_METHODS)
    results = _json(body.get("results"))
    if method == "answerInlineQuery" and isinstance(results, list):
        if len(results) > INLINE_RESULTS_LIMIT:
            yield f"{len(results)} inline results, over {INLINE_RESULTS_LIMIT}"
        ids = [str(result.get("id", "")) for result in results if isinstance(result, dict)]
        if len(set(ids)) != len(ids):
            yield "inline result ids are not unique"
        for result in results:
            yield from _inline_result(result)
        button = _json(body.get("button"))
        parameter = button.get("start_parameter") if isinstance(button, dict) else None
        if parameter is not None and not START_PARAMETER.fullmatch(str(parameter)):
            yield f"start_parameter {parameter!r} is not 1-64 of A-Za-z0-9_-"
    if method == "savePreparedInlineMessage":
        yield from _inline_result(_json(body.get("result")))


def _json(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _text(text: object, parse_mode: object) -> Iterator[str]:
    shown = visible_text(str(text or ""), parse_mode).strip()
    if not shown:
        yield "message text is empty"
    elif telegram_length(shown) > TEXT_LIMIT:
        yield f"message text longer than {TEXT_LIMIT} characters"


def _caption(caption: object, parse_mode: object) -> Iterator[str]:
    if telegram_length(visible_text(str(caption), parse_mode)) > CAPTION_LIMIT:
        yield f"caption longer than {CAPTION_LIMIT} characters"


def _inline_result(result: object) -> Iterator[str]:
    if not isinstance(result, dict):
        return
    if not 1 <= len(str(result.get("id", "")).encode()) <= INLINE_RESULT_ID_LIMIT:
        yield f"inline result id {result.get('id')!r} is not 1-64 bytes"
    content = result.get("input_message_content")
    if isinstance(content, dict) and "message_text" in content:
        yield from _text(content["message_text"], content.get("parse_mode"))
    if result.get("caption") is not None:
        yield from _caption(result["caption"], result.get("parse_mode"))
    yield from _keyboard(result.get("reply_markup"), inline=True)


def _keyboard(markup: object, *, inline: bool) -> Iterator[str]:
    keyboard = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in keyboard if isinstance(keyboard, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict):
                yield from _button(button, inline=inline)


def _button(button: dict, *, inline: bool) -> Iterator[str]:
    web_app = button.get("web_app")
    if isinstance(web_app, dict):
        if inline:
            yield "a web_app button in a message sent through inline mode"
        if not str(web_app.get("url", "")).startswith("https://"):
            yield f"web_app button URL {web_app.get('url')!r} is not https"
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
        yield f"callback_data {data!r} is not 1-{CALLBACK_DATA_LIMIT} bytes"
    url = button.get("url")
    if isinstance(url, str) and urlsplit(url).hostname == "t.me":
        for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items():
            if name in ("start", "startapp", "startgroup"):
                for value in values:
                    if not START_PARAMETER.fullmatch(value):
                        yield f"t.me {name} parameter {value!r} is not 1-64 of A-Za-z0-9_-"
