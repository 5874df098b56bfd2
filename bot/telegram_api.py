"""A thin Telegram Bot API client over urllib.

Every call is a JSON POST to `<TELEGRAM_API_URL>/bot<token>/<method>`, except an upload
(`upload`: sendDocument, sendVoice), a multipart/form-data POST with the file as one part and
every other parameter as a form field (JSON for objects, as Telegram wants). Files sent to the
bot are fetched with `getFile` and `download` from `<TELEGRAM_API_URL>/file/bot<token>/<path>`.
A 429 waits the
`retry_after` Telegram asks for (which pauses all sending of a sequential sender, as Telegram
wants); 5xx answers and network errors are retried with a bounded exponential backoff; a 403
raises BotBlocked so the caller can stop messaging that user.

The token is part of the URL, so the URL never goes into an exception or a log line: errors
carry the method name and Telegram's description only, and urllib's exceptions (whose
attributes hold the URL) are never chained.
"""

import http.client
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


class TelegramError(Exception):
    def __init__(self, method: str, description: str, *, error_code: int | None = None):
        super().__init__(f"{method}: {description}")
        self.method = method
        self.description = description
        self.error_code = error_code


class BotBlocked(TelegramError):
    """403: the user blocked the bot (or deleted their account): stop messaging them."""


class RetryAfter(TelegramError):
    """429 that we did not wait out (too long, or out of retries)."""

    def __init__(self, method: str, description: str, *, retry_after: int):
        super().__init__(method, description, error_code=429)
        self.retry_after = retry_after


class ServerError(TelegramError):
    """5xx, a network error or a timeout: worth retrying."""


class FileTooBig(TelegramError):
    """A file to download is larger than we take (or than getFile serves)."""


@dataclass(frozen=True)
class Upload:
    """A file for an upload's multipart part: its name in the chat, content and type."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"


class BotAPI:
    def __init__(
        self,
        token: str,
        *,
        base_url: str = "https://api.telegram.org",
        timeout: float = 10,
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: int = 60,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep

    def __repr__(self) -> str:
        return f"<BotAPI {self.base_url}>"

    def call(self, method: str, **params: Any) -> Any:
        """Call a Bot API method and return its `result`; None-valued parameters are left out."""
        body = json.dumps({k: v for k, v in params.items() if v is not None}).encode()
        return self._retried(method, body, "application/json")

    def upload(self, method: str, field: str, upload: Upload, **params: Any) -> Any:
        """Call a method that sends a file (`field`, e.g. "document") as multipart/form-data."""
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in params.items():
            if value is None:
                continue
            text = value if isinstance(value, str) else json.dumps(value)
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + text.encode()
                + b"\r\n"
            )
        # A file name with quotes or line breaks would break the part's header.
        filename = "".join(c for c in upload.name if c not in '"\\\r\n') or "file"
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: {upload.content_type}\r\n\r\n'.encode()
            + upload.content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self._retried(method, body, f"multipart/form-data; boundary={boundary}")

    def download(self, file_path: str, *, max_bytes: int) -> bytes:
        """The content of a file sent to the bot (`file_path` from getFile); FileTooBig past
        `max_bytes`, read no further."""
        url = f"{self.base_url}/file/bot{self._token}/{file_path}"
        try:
            request = urllib.request.Request(url, method="GET")
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content = response.read(max_bytes + 1)
        except urllib.error.HTTPError as error:
            raise TelegramError("download", f"HTTP {error.code}", error_code=error.code) from None
        except (OSError, http.client.HTTPException) as error:
            raise ServerError("download", f"network error ({type(error).__name__})") from None
        except ValueError:
            raise TelegramError("download", "TELEGRAM_API_URL is not a valid URL") from None
        if len(content) > max_bytes:
            raise FileTooBig("download", f"the file is larger than {max_bytes} bytes")
        return content

    def _retried(self, method: str, body: bytes, content_type: str) -> Any:
        attempt = 0
        while True:
            try:
                return self._post(method, body, content_type)
            except RetryAfter as error:
                if attempt >= self.retries or error.retry_after > self.max_retry_after:
                    raise
                delay = error.retry_after
            except ServerError:
                if attempt >= self.retries:
                    raise
                delay = self.backoff * 2**attempt
            logger.warning("Telegram %s failed; retry %d in %ss", method, attempt + 1, delay)
            self.sleep(delay)
            attempt += 1

    def _post(self, method: str, body: bytes, content_type: str) -> Any:
        url = f"{self.base_url}/bot{self._token}/{method}"
        try:
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": content_type}, method="POST"
            )
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)
            except urllib.error.HTTPError as error:
                response = error  # Telegram explains its errors in the body, as JSON
            with response:
                status, raw = response.status, response.read()
        except (OSError, http.client.HTTPException) as error:  # URLError and timeouts included
            raise ServerError(method, f"network error ({type(error).__name__})") from None
        except ValueError:  # urllib's message would quote the URL, token and all
            raise TelegramError(method, "TELEGRAM_API_URL is not a valid http(s) URL") from None
        return _result(method, status, raw)


def _result(method: str, status: int, raw: bytes) -> Any:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        error = ServerError if status >= 500 else TelegramError
        raise error(method, f"HTTP {status} without a Bot API answer", error_code=status)
    if data.get("ok") is True and status == 200:
        return data.get("result")
    error_code = data.get("error_code")
    code = error_code if isinstance(error_code, int) else status
    description = str(data.get("description") or f"HTTP {status}")
    if code == 429:
        parameters = data.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        retry_after = retry_after if isinstance(retry_after, int) and retry_after >= 0 else 1
        raise RetryAfter(method, description, retry_after=retry_after)
    if code == 403:
        raise BotBlocked(method, description, error_code=code)
    if code >= 500:
        raise ServerError(method, description, error_code=code)
    raise TelegramError(method, description, error_code=code)


def bot_api(**options: Any) -> BotAPI:
    """The client for our bot, from the settings (read at call time: tests change them)."""
    return BotAPI(settings.TELEGRAM_BOT_TOKEN, base_url=settings.TELEGRAM_API_URL, **options)
