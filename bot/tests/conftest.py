"""Fixtures for the bot's tests (test_bot_api, test_webhook, test_reminders, test_chat_review,
test_setup_bot)."""

import json

import pytest

from bot.tests.fake_telegram import FakeTelegramServer

WEBHOOK_SECRET = "webhook-secret_42"


@pytest.fixture
def telegram(settings):
    """A local HTTP server playing the Bot API, with the settings pointing at it.

    A test whose requests break Telegram's rules or aiogram's models of them
    (bot_api_checks) fails at the end, even if the code under test took the refusal well.
    """
    with FakeTelegramServer() as fake:
        settings.TELEGRAM_API_URL = fake.url
        settings.PUBLIC_URL = "https://pw.example.com"
        settings.TELEGRAM_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.TELEGRAM_BOT_USERNAME = "PhraseWeaverBot"
        settings.TELEGRAM_APP_NAME = "study"
        yield fake
    if fake.problems:
        pytest.fail("Bot API requests with problems:\n" + "\n".join(fake.problems))


def post_update(client, update: dict) -> None:
    """Deliver an update to the webhook as Telegram does (with the secret token)."""
    response = client.post(
        "/telegram/webhook/",
        data=json.dumps(update),
        content_type="application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=WEBHOOK_SECRET,
    )
    assert response.status_code == 200
