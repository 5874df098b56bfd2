"""A real local HTTP server that plays the Telegram Bot API for the bot's tests.

It records every request (token, method name, JSON or form body) and answers like Telegram,
`{"ok": true, "result": ...}`, unless told to fail with `fail()`. Like Telegram, it refuses a
message text longer than 4,096 characters or a caption longer than 1,024, measured after
entity parsing (`visible_text`), and a web_app button whose URL is not https.

Every request is also checked by bot_api_checks (aiogram's models of the methods, with no
unknown field at any level, and Telegram's documented limits); what is wrong is kept in
`problems`, and the `telegram` fixture fails the test if any is left at its end.
"""

import email.parser
import email.policy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from bot.tests import bot_api_checks
from bot.tests.bot_api_checks import (
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Upload,
    telegram_length,
    visible_text,
)

DESCRIPTIONS = {
    400: "Bad Request: something is wrong",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def refusal(method: str, body: dict) -> str | None:
    """Telegram's description of why it refuses this request, or None if it accepts it."""
    parse_mode = body.get("parse_mode")
    if method in ("sendMessage", "editMessageText"):
        text = visible_text(str(body.get("text", "")), parse_mode).strip()
        if not text:
            return "Bad Request: message text is empty"
        if telegram_length(text) > TEXT_LIMIT:
            return "Bad Request: message is too long"
    caption = visible_text(str(body.get("caption") or ""), parse_mode)
    if telegram_length(caption) > CAPTION_LIMIT:
        return "Bad Request: message caption is too long"
    answer = str(body.get("text") or "") if method == "answerCallbackQuery" else ""
    if telegram_length(answer) > CALLBACK_ANSWER_LIMIT:
        return "Bad Request: MESSAGE_TOO_LONG"
    markup = body.get("reply_markup")
    keyboard = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for button in (button for row in keyboard for button in row):
        url = (button.get("web_app") or {}).get("url")
        if url is not None and not str(url).startswith("https://"):
            return (
                f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: "
                "Only HTTPS links are allowed"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            return "Bad Request: BUTTON_DATA_INVALID"
    return None


@dataclass
class Request:
    token: str
    method: str
    body: dict
    at: float | None  # the test's fake clock when the request arrived, if it has one


@dataclass
class Rule:
    status: int
    method: str | None
    when: object
    times: int | None
    retry_after: int | None
    description: str
    raw: bytes | None
    delay: float

    def matches(self, method: str, body: dict) -> bool:
        if self.times == 0 or (self.method and self.method != method):
            return False
        return self.when is None or self.when(body)


@dataclass
class FakeTelegram:
    requests: list[Request] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    clock: object = None
    url: str = ""
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _message_id: int = 1000

    def fail(
        self,
        status: int,
        *,
        method=None,
        when=None,
        times=None,
        retry_after=None,
        description=None,
        raw=None,
        delay=0.0,
    ) -> None:
        """Answer matching requests (all, or the first `times`) with this error."""
        text = description or DESCRIPTIONS.get(status, f"Error {status}")
        self.rules.append(
            Rule(status, method, when, times, retry_after, text.format(retry_after=retry_after),
                 raw, delay)
        )  # fmt: skip

    def calls(self, method: str) -> list[dict]:
        return [request.body for request in self.requests if request.method == method]

    @property
    def methods(self) -> list[str]:
        return [request.method for request in self.requests]

    def respond(self, token: str, method: str, body: dict) -> tuple[int, bytes, float]:
        with self._lock:
            self.requests.append(Request(token, method, body, self.clock() if self.clock else None))
            self.problems += bot_api_checks.problems(method, body)
            for rule in self.rules:
                if rule.matches(method, body):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.status, rule.raw or self._error(rule), rule.delay
            description = refusal(method, body)
            if description is not None:
                answer = {"ok": False, "error_code": 400, "description": description}
                return 400, json.dumps(answer).encode(), 0
            return 200, json.dumps({"ok": True, "result": self._result(method, body)}).encode(), 0

    def _error(self, rule: Rule) -> bytes:
        answer = {"ok": False, "error_code": rule.status, "description": rule.description}
        if rule.retry_after is not None:
            answer["parameters"] = {"retry_after": rule.retry_after}
        return json.dumps(answer).encode()

    def _result(self, method: str, body: dict):
        if method == "savePreparedInlineMessage":
            self._message_id += 1
            return {
                "id": f"prepared{self._message_id}",
                "expiration_date": int(time.time()) + 86400,
            }
        if method not in ("sendMessage", "editMessageText"):
            return True
        self._message_id += 1
        return {
            "message_id": body.get("message_id", self._message_id),
            "date": int(time.time()),
            "chat": {"id": body.get("chat_id"), "type": "private"},
            "text": body.get("text", ""),
        }


def multipart_fields(content_type: str, raw: bytes) -> dict:
    """The fields of a multipart/form-data body: files as Upload, the others as text."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields: dict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        fields[name] = Upload(filename, content) if filename is not None else content.decode()
    return fields


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get("Content-Type", "")
        if "json" in content_type:
            body = json.loads(raw or b"{}")
        elif content_type.startswith("multipart/form-data"):
            body = multipart_fields(content_type, raw)
        else:
            body = dict(parse_qsl(raw.decode()))
        self._answer(body)

    def do_GET(self):
        self._answer(dict(parse_qsl(urlsplit(self.path).query)))

    def _answer(self, body: dict):
        match = re.fullmatch(r"/bot([^/]+)/(\w+)", urlsplit(self.path).path)
        if match is None:
            self.send_error(404)
            return
        status, payload, delay = self.server.fake.respond(match[1], match[2], body)
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # keep the test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out on purpose leaves a broken pipe behind


class FakeTelegramServer:
    def __init__(self):
        self.fake = FakeTelegram()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.fake = self.fake
        self.fake.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeTelegram:
        self.thread.start()
        return self.fake

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def sender(user=None, **fields) -> dict:
    """A Telegram `from` object, for one of our users or from fields."""
    if user is not None:
        fields = {
            "id": user.telegram_id,
            "first_name": user.first_name,
            "language_code": user.language_code,
            **fields,
        }
    return {"is_bot": False, **fields}


def message_update(update_id: int, text: str | None, frm: dict, *, chat_type="private") -> dict:
    message = {
        "message_id": update_id + 5000,
        "date": int(time.time()),
        "from": frm,
        "chat": {"id": frm["id"], "type": chat_type},
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, data: str, frm: dict, *, message_id: int = 77) -> dict:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": frm,
            "chat_instance": "42",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": frm["id"], "type": "private"},
                "text": "…",
            },
        },
    }
