"""The checks every request to the local Bot API server goes through (bot_api_checks)."""

import json
import urllib.request

import pytest

from bot.tests.bot_api_checks import Upload, problems
from bot.tests.fake_telegram import FakeTelegramServer

BUTTON = {"text": "Add", "callback_data": "dr:1:add"}


def article(number: int, **fields) -> dict:
    return {
        "type": "article",
        "id": f"p{number}",
        "title": "ciao",
        "input_message_content": {"message_text": "ciao — hello"},
        **fields,
    }


def test_a_right_request_has_no_problem():
    body = {
        "chat_id": 1,
        "text": "<b>ciao</b>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[BUTTON]]},
    }

    assert problems("sendMessage", body) == []


def test_a_misspelt_field_is_a_problem_at_the_top():
    assert problems("sendMessage", {"chat_id": 1, "text": "hi", "parse_mod": "HTML"}) == [
        "sendMessage: unknown field parse_mod"
    ]


def test_a_misspelt_field_is_a_problem_deep_in_a_keyboard():
    markup = {"inline_keyboard": [[{"text": "Add", "callback_dat": "x"}]]}

    assert problems("sendMessage", {"chat_id": 1, "text": "hi", "reply_markup": markup}) == [
        "sendMessage: unknown field reply_markup.inline_keyboard[0][0].callback_dat"
    ]


def test_a_misspelt_field_is_a_problem_in_an_inline_result():
    result = article(1, input_message_content={"message_text": "x", "parse_mod": "HTML"})

    [problem] = problems("answerInlineQuery", {"inline_query_id": "q", "results": [result]})

    assert problem.endswith("results[0].input_message_content.parse_mod")


def test_a_wrong_type_and_a_missing_field_are_problems():
    [wrong_type] = problems("sendMessage", {"chat_id": [1], "text": "hi"})
    [missing] = problems("sendMessage", {"chat_id": 1})

    assert "chat_id" in wrong_type
    assert "text" in missing


def test_an_unknown_method_is_a_problem():
    assert problems("sendMesage", {"chat_id": 1, "text": "hi"}) == [
        "sendMesage: not a Bot API method"
    ]


@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [
        ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, "longer than 4096"),
        ("sendMessage", {"chat_id": 1, "text": "<b> </b>", "parse_mode": "HTML"}, "empty"),
        ("sendDocument", {"chat_id": 1, "document": "id", "caption": "x" * 1025}, "caption"),
        ("answerCallbackQuery", {"callback_query_id": "1", "text": "x" * 201}, "callback answer"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [[
                {"text": "Add", "callback_data": "é" * 33}
            ]]}},
            "callback_data",
        ),
        (
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": [[
                {"text": "Add", "url": "https://t.me/PhraseWeaverBot/study?startapp=a.b"}
            ]]}},
            "startapp parameter",
        ),
        (
            "answerInlineQuery",
            {"inline_query_id": "q", "results": [article(n) for n in range(51)]},
            "51 inline results",
        ),
        (
            "answerInlineQuery",
            {"inline_query_id": "q", "results": [article(1), article(1)]},
            "not unique",
        ),
        (
            "answerInlineQuery",
            {"inline_query_id": "q", "results": [article(1, id="x" * 65)]},
            "is not 1-64 bytes",
        ),
        (
            "answerInlineQuery",
            {"inline_query_id": "q", "results": [
                article(1, input_message_content={"message_text": "x" * 4097})
            ]},
            "longer than 4096",
        ),
        (
            "savePreparedInlineMessage",
            {"user_id": 1, "result": article(1, reply_markup={"inline_keyboard": [[
                {"text": "Open", "web_app": {"url": "https://pw.example.com/"}}
            ]]})},
            "web_app button in a message sent through inline mode",
        ),
        (
            "sendDocument",
            {"chat_id": 1, "document": Upload("deck.apkg", b"x" * (50 * 1024 * 1024 + 1))},
            "over 52428800",
        ),
        (
            "sendPhoto",
            {"chat_id": 1, "photo": Upload("a.jpg", b"x" * (10 * 1024 * 1024 + 1))},
            "over 10485760",
        ),
    ],
)  # fmt: skip
def test_each_of_telegrams_limits_is_checked(method, body, expected):
    [problem] = problems(method, body)

    assert expected in problem


def test_the_limits_allow_what_telegram_allows():
    results = [article(n) for n in range(50)]
    keyboard = [[{"text": "Add", "callback_data": "é" * 32}]]

    assert problems("answerInlineQuery", {"inline_query_id": "q", "results": results}) == []
    assert problems("sendMessage", {"chat_id": 1, "text": "🙂" * 2048}) == []
    assert (
        problems(
            "sendMessage",
            {"chat_id": 1, "text": "hi", "reply_markup": {"inline_keyboard": keyboard}},
        )
        == []
    )


def test_the_server_keeps_the_problems_of_what_it_received_and_parses_multipart_files():
    boundary = "b0und4ry"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n42\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\n'
        + "x" * 1025
        + "\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nfront,back\r\n",
        f"--{boundary}--\r\n",
    ]
    with FakeTelegramServer() as fake:
        request = urllib.request.Request(
            f"{fake.url}/bot1:x/sendDocument",
            data="".join(parts).encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
    [received] = fake.requests

    assert json.loads(refused.value.read())["description"] == (
        "Bad Request: message caption is too long"
    )
    assert received.body["chat_id"] == "42"
    assert received.body["document"] == Upload("a.csv", b"front,back")
    assert fake.problems == ["sendDocument: caption longer than 1024 characters"]
