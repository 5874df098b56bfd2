"""The Bot API client against a real local HTTP server playing Telegram."""

import logging
import socket
import traceback

import pytest

from bot.telegram_api import (
    BotAPI,
    BotBlocked,
    FileTooBig,
    RetryAfter,
    ServerError,
    TelegramError,
    Upload,
    bot_api,
)
from bot.tests.fake_telegram import UploadedPart
from conftest import TEST_BOT_TOKEN

SECRET_PART = TEST_BOT_TOKEN.split(":")[1]


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def api(telegram, sleeps):
    return bot_api(sleep=sleeps)


def everything_said(error: Exception, caplog) -> str:
    """All the text an error can end up in: its message, repr, traceback and the log."""
    return "\n".join(
        [str(error), repr(error), "".join(traceback.format_exception(error)), caplog.text]
    )


def test_it_posts_json_to_the_method_and_returns_the_result(telegram, api):
    result = api.call("sendMessage", chat_id=111, text="Hi", reply_markup=None)

    assert result["chat"]["id"] == 111
    [request] = telegram.requests
    assert (request.token, request.method) == (TEST_BOT_TOKEN, "sendMessage")
    assert request.body == {"chat_id": 111, "text": "Hi"}  # None parameters are left out


def test_it_waits_retry_after_on_429_and_retries(telegram, api, sleeps):
    telegram.fail(429, retry_after=3, times=1)

    assert api.call("getMe") is True

    assert telegram.methods == ["getMe", "getMe"]
    assert sleeps == [3]


def test_it_gives_up_on_a_429_longer_than_it_may_wait(telegram, sleeps):
    telegram.fail(429, retry_after=120)

    with pytest.raises(RetryAfter) as raised:
        bot_api(max_retry_after=60, sleep=sleeps).call("getMe")

    assert raised.value.retry_after == 120
    assert sleeps == []
    assert len(telegram.requests) == 1


def test_it_retries_server_errors_with_growing_backoff(telegram, api, sleeps):
    telegram.fail(500, times=2)

    assert api.call("getMe") is True

    assert len(telegram.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_it_stops_retrying_server_errors_after_a_bounded_number(telegram, sleeps):
    telegram.fail(502)

    with pytest.raises(ServerError) as raised:
        bot_api(retries=3, sleep=sleeps).call("getMe")

    assert raised.value.error_code == 502
    assert len(telegram.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_it_retries_an_answer_that_is_not_from_the_bot_api(telegram, api, sleeps):
    telegram.fail(502, raw=b"<html>Bad Gateway</html>", times=1)

    assert api.call("getMe") is True
    assert len(telegram.requests) == 2


def test_a_403_raises_bot_blocked_without_retrying(telegram, api, sleeps):
    telegram.fail(403)

    with pytest.raises(BotBlocked) as raised:
        api.call("sendMessage", chat_id=111, text="Hi")

    assert raised.value.description == "Forbidden: bot was blocked by the user"
    assert len(telegram.requests) == 1
    assert sleeps == []


def test_a_bad_request_is_raised_without_retrying(telegram, api, sleeps):
    telegram.fail(400, description="Bad Request: chat not found")

    with pytest.raises(TelegramError) as raised:
        api.call("sendMessage", chat_id=1, text="Hi")

    assert type(raised.value) is TelegramError
    assert str(raised.value) == "sendMessage: Bad Request: chat not found"
    assert len(telegram.requests) == 1


def test_a_timeout_is_a_server_error_and_is_retried(telegram, sleeps):
    telegram.fail(200, delay=1.0, times=1)

    assert bot_api(timeout=0.2, sleep=sleeps).call("getMe") is True
    assert sleeps == [0.5]


def test_the_token_appears_in_no_error_and_no_log_line(telegram, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    telegram.fail(500)

    with pytest.raises(ServerError) as raised:
        bot_api(sleep=sleeps).call("sendMessage", chat_id=1, text="Hi")

    assert len(telegram.requests) == 4  # the retries were logged
    assert "sendMessage" in caplog.text
    assert SECRET_PART not in everything_said(raised.value, caplog)


def test_the_token_appears_in_no_network_error(caplog, sleeps):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    api = BotAPI(TEST_BOT_TOKEN, base_url=f"http://127.0.0.1:{port}", retries=1, sleep=sleeps)

    with pytest.raises(ServerError) as raised:
        api.call("getMe")

    assert "network error" in str(raised.value)
    assert SECRET_PART not in everything_said(raised.value, caplog)
    assert SECRET_PART not in repr(api)


def test_the_token_appears_in_no_error_about_a_bad_api_url(caplog, sleeps):
    for url in ("ftp://example.com", "not a url", "http://127.0.0.1:notaport"):
        api = BotAPI(TEST_BOT_TOKEN, base_url=url, retries=0, sleep=sleeps)

        with pytest.raises(TelegramError) as raised:
            api.call("getMe")

        assert SECRET_PART not in everything_said(raised.value, caplog)


def test_an_upload_posts_the_file_and_the_fields_as_multipart_form_data(telegram, api):
    document = Upload("Español “básico”.csv", b"front,back\nhola,hello\n", "text/csv")
    keyboard = {"inline_keyboard": [[{"text": "Open", "callback_data": "x"}]]}

    api.upload(
        "sendDocument", "document", document, chat_id=111, caption="<b>Hi</b>",
        parse_mode="HTML", reply_markup=keyboard, disable_notification=None,
    )  # fmt: skip

    [body] = telegram.calls("sendDocument")
    assert body == {
        "chat_id": "111",
        "caption": "<b>Hi</b>",
        "parse_mode": "HTML",
        "reply_markup": keyboard,
        "document": UploadedPart("Español “básico”.csv", "text/csv", document.content),
    }


def test_an_upload_over_fifty_megabytes_is_refused_as_telegram_refuses_it(telegram, api):
    huge = Upload("big.zip", b"\0" * (50 * 1024 * 1024 + 1))

    with pytest.raises(TelegramError, match="Too Large"):
        api.upload("sendDocument", "document", huge, chat_id=111)

    # The checks saw it too; taken off the list so the fixture does not fail the test for it.
    assert telegram.problems.pop().endswith("a file of 52428801 bytes, over 52428800")
    assert telegram.problems == []


def test_a_file_sent_to_the_bot_downloads_from_its_path(telegram, api):
    telegram.add_file("F1", b"some bytes", path="documents/file_7.csv")

    path = api.call("getFile", file_id="F1")["file_path"]

    assert api.download(path, max_bytes=10) == b"some bytes"
    with pytest.raises(FileTooBig):
        api.download(path, max_bytes=9)


def test_a_download_error_does_not_show_the_token(telegram, api, caplog):
    with pytest.raises(TelegramError) as raised:
        api.download("documents/missing.csv", max_bytes=10)

    assert raised.value.error_code == 404
    assert SECRET_PART not in everything_said(raised.value, caplog)
