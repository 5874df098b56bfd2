"""Files and the bot's chat, both ways.

Exports delivered by the bot: inside Telegram a download may open nothing (clients before Bot
API 8.0 have no downloadFile, and it can fail), so the export screens offer to have the bot send
the file instead. `send_export_task` builds the deck's CSV or .apkg (or takes the finished
"all my data" zip) and uploads it with sendDocument; a bot may send at most 50 MB.

Files sent to the bot: a learner sends an .apkg or CSV to the bot's chat and the worker fetches
it (getFile, then the file's URL; a bot may download at most 20 MB), reads it as the Mini App's
import does, and keeps it as a ReceivedFile; the bot answers with what it found and a button
that opens the file's import screen in the Mini App, where the learner picks the deck and the
same import as the Mini App's runs (an ImportJob).
"""

import logging
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext, ngettext
from django_tasks import task

from accounts.models import User
from bot.chat_review import web_app_button
from bot.models import ReceivedFile
from bot.telegram_api import BotAPI, BotBlocked, FileTooBig, TelegramError, Upload, bot_api
from cards import exporting
from cards.export_jobs import ARCHIVE_NAME, current_jobs
from cards.importing import ImportRefused, read_source
from cards.models import Deck, ExportJob

logger = logging.getLogger(__name__)
SEND_LIMIT = 50 * 1024 * 1024  # a file a bot sends (sendDocument)
GET_FILE_LIMIT = 20 * 1024 * 1024  # a file a bot downloads (getFile)
RECEIVED_KEPT = timedelta(days=1)
# The files the Mini App's import screen offers to pick (templates/cards/import.html).
IMPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".apkg", ".colpkg")
# Up to 50 MB each way: the worker waits longer than a webhook's short calls.
TRANSFER_TIMEOUT = 120
# The deck exports (cards.exporting.DECK_FORMATS) the export screen offers to send.
DECK_FORMATS = ("csv", "apkg")


def request_sending(user: User, kind: str, object_id: int) -> None:
    """Have the worker send an export to the learner's chat once this transaction commits:
    `kind` "csv" or "apkg" with a deck's id, or "everything" with an ExportJob's."""
    transaction.on_commit(lambda: send_export_task.enqueue(user.pk, kind, object_id))


def _document(user: User, kind: str, object_id: int) -> Upload | None:
    """The export as a file for sendDocument; None when it is gone (or was never theirs)."""
    if kind == "everything":
        done = current_jobs(user).filter(pk=object_id, status=ExportJob.Status.DONE)
        archive = done.values_list("archive", flat=True).first()
        return Upload(ARCHIVE_NAME, bytes(archive), "application/zip") if archive else None
    deck = Deck.objects.for_user(user).filter(pk=object_id).first()
    if deck is None or kind not in DECK_FORMATS:
        return None
    content_type, extension, _write = exporting.DECK_FORMATS[kind]
    name = get_valid_filename(f"{deck.name}.{extension}") or f"export.{extension}"
    return Upload(name, exporting.deck_file(deck, kind), content_type)


@task()
def send_export_task(user_id: int, kind: str, object_id: int) -> None:
    user = User.objects.get(pk=user_id)
    with translation.override(user.language):
        document = _document(user, kind, object_id)
        api = bot_api(timeout=TRANSFER_TIMEOUT)
        try:
            if document is None:
                text = gettext("This export is gone: prepare it again in the app.")
                api.call("sendMessage", chat_id=user.telegram_id, text=text)
            elif len(document.content) > SEND_LIMIT:
                text = gettext(
                    "This file is larger than the %(size)s a bot may send: download it in the "
                    "app instead."
                ) % {"size": filesizeformat(SEND_LIMIT)}
                api.call("sendMessage", chat_id=user.telegram_id, text=text)
            else:
                api.upload("sendDocument", "document", document, chat_id=user.telegram_id)
        except BotBlocked:
            User.objects.filter(pk=user.pk).update(bot_blocked=True)


# Files sent to the bot


def receive_limit() -> int:
    return min(GET_FILE_LIMIT, settings.IMPORT_MAX_BYTES)


def on_document(user: User, message: dict, api: BotAPI) -> None:
    """A file in the bot's chat: fetched and read by the worker, unless it is too large."""
    document = message["document"]
    file_id, size = document.get("file_id"), document.get("file_size")
    name = document.get("file_name")
    name = PurePath(name).name if isinstance(name, str) and name.strip() else "file"
    chat_id = message["chat"]["id"]
    if not isinstance(file_id, str):
        return
    with translation.override(user.language):
        if PurePath(name).suffix.lower() not in IMPORTED_SUFFIXES:
            text = gettext("Send me an Anki package (.apkg) or a CSV file to import it.")
            api.call("sendMessage", chat_id=chat_id, text=text)
            return
        if isinstance(size, int) and size > receive_limit():
            api.call("sendMessage", chat_id=chat_id, text=_too_large())
            return
    transaction.on_commit(lambda: receive_file_task.enqueue(user.pk, file_id, name[:255], chat_id))


def _too_large() -> str:
    return gettext("The file is larger than %(size)s: I cannot import it.") % {
        "size": filesizeformat(receive_limit())
    }


@task()
def receive_file_task(user_id: int, file_id: str, name: str, chat_id: int) -> None:
    user = User.objects.get(pk=user_id)
    api = bot_api(timeout=TRANSFER_TIMEOUT)
    with translation.override(user.language):
        try:
            api.call("sendMessage", chat_id=chat_id, **_received(user, api, file_id, name))
        except BotBlocked:
            User.objects.filter(pk=user.pk).update(bot_blocked=True)


def _received(user: User, api: BotAPI, file_id: str, name: str) -> dict:
    """Fetch and read the file; the message that says what it holds, or why not."""
    try:
        path = api.call("getFile", file_id=file_id).get("file_path")
        if not isinstance(path, str):  # Telegram gives no path to a file over 20 MB
            raise FileTooBig("getFile", "no file_path")
        content = api.download(path, max_bytes=receive_limit())
    except FileTooBig:
        return {"text": _too_large()}
    except TelegramError as error:
        logger.warning("Could not fetch a file sent to the bot: %s", error)
        return {"text": gettext("I could not fetch the file from Telegram. Please send it again.")}
    try:
        source = read_source(content)
    except ImportRefused as refused:
        return {"text": gettext("I cannot import this file: %(reason)s") % {"reason": refused}}
    if not source.rows:
        return {"text": gettext("I found no cards in this file.")}
    received = ReceivedFile.objects.create(owner=user, name=name, content=content)
    rows = ngettext("%(count)d row", "%(count)d rows", len(source.rows)) % {
        "count": len(source.rows)
    }
    text = gettext("“%(name)s”: %(rows)s. Choose the deck to import it into in the app.") % {
        "name": name,
        "rows": rows,
    }
    button = web_app_button(gettext("Import…"), "received_file", received.pk)
    return {"text": text, "reply_markup": {"inline_keyboard": [[button]]}}


@task()
def sweep_received_files_task() -> dict[str, int]:
    """The hourly sweep (`manage.py run_periodic`): files sent to the bot and never imported
    are forgotten after a day."""
    cutoff = timezone.now() - RECEIVED_KEPT
    forgotten, _by_model = ReceivedFile.objects.filter(created__lt=cutoff).delete()
    return {"forgotten": forgotten}
