"""manage.py setup_bot: the webhook, the menu button and the commands, against a fake Telegram."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bot.tests.conftest import WEBHOOK_SECRET
from conftest import TEST_BOT_TOKEN


def setup_bot() -> str:
    out = StringIO()
    call_command("setup_bot", stdout=out)
    return out.getvalue()


def test_it_sets_the_webhook_the_menu_button_and_the_commands(telegram):
    output = setup_bot()

    assert telegram.methods == ["setWebhook", "setChatMenuButton", "setMyCommands", "setMyCommands"]
    [webhook] = telegram.calls("setWebhook")
    assert webhook == {
        "url": "https://pw.example.com/telegram/webhook/",
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "callback_query", "inline_query"],
    }
    [menu] = telegram.calls("setChatMenuButton")
    assert menu == {
        "menu_button": {
            "type": "web_app",
            "text": "PhraseWeaver",
            "web_app": {"url": "https://pw.example.com/"},
        }
    }
    english, russian = telegram.calls("setMyCommands")
    assert "language_code" not in english  # the default for every other language
    assert english["commands"] == [
        {"command": "start", "description": "Open PhraseWeaver"},
        {"command": "stats", "description": "Today's progress"},
        {"command": "remind", "description": "Turn daily reminders on or off"},
        {"command": "help", "description": "What this bot can do"},
    ]
    assert russian["language_code"] == "ru"
    assert russian["commands"][0] == {"command": "start", "description": "Открыть PhraseWeaver"}
    assert [c["command"] for c in russian["commands"]] == ["start", "stats", "remind", "help"]
    assert "Webhook: https://pw.example.com/telegram/webhook/" in output
    assert "Mini App link: https://t.me/PhraseWeaverBot/study" in output
    assert WEBHOOK_SECRET not in output
    assert "In @BotFather, once: /setinline" in output


def test_running_it_again_sets_the_same_again(telegram):
    setup_bot()
    first = [request.body for request in telegram.requests]
    setup_bot()

    assert [request.body for request in telegram.requests] == first * 2


@pytest.mark.parametrize("public_url", ["", "http://pw.example.com"])
def test_it_needs_an_https_public_url(telegram, settings, public_url):
    settings.PUBLIC_URL = public_url

    with pytest.raises(CommandError, match="PUBLIC_URL"):
        setup_bot()
    assert telegram.requests == []


@pytest.mark.parametrize("secret", ["", "has spaces", "x" * 257, "ünïcode"])
def test_it_needs_a_valid_webhook_secret(telegram, settings, secret):
    settings.TELEGRAM_WEBHOOK_SECRET = secret

    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        setup_bot()
    assert telegram.requests == []


def test_a_refusal_from_telegram_is_a_clear_error_without_the_token(telegram):
    telegram.fail(400, description="Bad Request: bad webhook: HTTPS url must be provided")

    with pytest.raises(CommandError) as raised:
        setup_bot()

    assert str(raised.value) == (
        "Telegram refused: setWebhook: Bad Request: bad webhook: HTTPS url must be provided"
    )
    assert TEST_BOT_TOKEN.split(":")[1] not in str(raised.value)
