import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import translation

from bot.commands import COMMANDS
from bot.telegram_api import TelegramError, bot_api
from cards.sharing import mini_app_link

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts


class Command(BaseCommand):
    help = (
        "Point the bot at this deployment: the webhook (PUBLIC_URL + /telegram/webhook/, with "
        "messages, button taps and inline queries), the menu button that opens the Mini App, "
        "and the command list in English and Russian; then say what to switch on in BotFather. "
        "Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        public_url, secret = settings.PUBLIC_URL, settings.TELEGRAM_WEBHOOK_SECRET
        if not public_url.startswith("https://"):
            raise CommandError("PUBLIC_URL must be set to the app's https:// address")
        if not SECRET_TOKEN.fullmatch(secret):
            raise CommandError(
                "TELEGRAM_WEBHOOK_SECRET must be set: 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        api = bot_api()
        webhook = public_url + reverse("telegram_webhook")
        try:
            api.call(
                "setWebhook",
                url=webhook,
                secret_token=secret,
                allowed_updates=["message", "callback_query", "inline_query"],
            )
            self.stdout.write(f"Webhook: {webhook}")
            # Without chat_id this is every chat's default menu button.
            app_url = public_url + reverse("home")
            button = {"type": "web_app", "text": "PhraseWeaver", "web_app": {"url": app_url}}
            api.call("setChatMenuButton", menu_button=button)
            self.stdout.write(f"Menu button: PhraseWeaver -> {app_url}")
            for language in ("en", "ru"):
                with translation.override(language):
                    commands = [
                        {"command": name, "description": str(description)}
                        for name, description in COMMANDS.items()
                    ]
                # The English list is the default for every other language.
                api.call(
                    "setMyCommands",
                    commands=commands,
                    language_code=None if language == "en" else language,
                )
                self.stdout.write(f"Commands ({language}): " + ", ".join(COMMANDS))
        except TelegramError as error:
            raise CommandError(f"Telegram refused: {error}") from None
        if settings.TELEGRAM_BOT_USERNAME and settings.TELEGRAM_APP_NAME:
            self.stdout.write(f"Mini App link: {mini_app_link()}")
        # The Bot API cannot switch these on: only BotFather can.
        self.stdout.write(
            "In @BotFather, once: /setinline (inline mode, for @bot searches and for sharing "
            "from the Mini App; placeholder e.g. 'phrase or deck'); inline feedback "
            "(/setinlinefeedback) is not needed."
        )
