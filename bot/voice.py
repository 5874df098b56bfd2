"""Pronunciation in the chat: a phrase's sound sent as a Telegram voice note (the "🔊" button
of the in-chat review).

Telegram plays a voice note only as OGG/Opus; our sounds are MP3s (cards.media.audio). The
voice note is encoded once by ffmpeg's libopus (Debian's ffmpeg has it, and ffmpeg already
runs, sandboxed the same way, for every sound) and stored beside its MP3 (files.voice_note_name,
removed with it). The tap only enqueues `send_voice_task`: encoding and uploading are the
worker's, never the webhook's.
"""

import logging
import tempfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tasks import task

from accounts.models import User
from bot.telegram_api import BotBlocked, TelegramError, Upload, bot_api
from cards.media import files
from cards.media.audio import DEMUXERS, FFMPEG, ToolFailed, run_tool
from cards.models import Card, Phrase

logger = logging.getLogger(__name__)
OPUS_BITRATE = "32k"  # plenty for one voice, mono


def sound_name(phrase: Phrase) -> str:
    """The phrase's MP3: the learner's recording, else the server's reading; "" for none."""
    if phrase.audio:
        return phrase.audio
    return phrase.speech.audio if phrase.speech is not None else ""


def to_voice_note(mp3: bytes) -> bytes:
    """An MP3 as OGG/Opus, mono, 48 kHz (Opus's own rate), as Telegram wants a voice note."""
    with tempfile.NamedTemporaryFile(prefix="sound-", suffix=".mp3") as source:
        source.write(mp3)
        source.flush()
        encode = [
            *FFMPEG,
            *("-protocol_whitelist", "file", "-format_whitelist", DEMUXERS),
            *("-i", source.name, "-map", "0:a:0", "-vn", "-sn", "-dn"),
            *("-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", OPUS_BITRATE),
            *("-application", "voip", "-f", "ogg", "pipe:1"),
        ]
        return run_tool(encode)


def voice_note(mp3_name: str) -> bytes:
    """The voice note of a stored MP3: the stored one, or encoded now and stored."""
    name = files.voice_note_name(mp3_name)
    if default_storage.exists(name):
        with default_storage.open(name) as stored:
            return stored.read()
    with default_storage.open(mp3_name) as mp3:
        note = to_voice_note(mp3.read())
    default_storage.save(name, ContentFile(note))
    return note


@task()
def send_voice_task(user_id: int, card_id: int, chat_id: int) -> None:
    user = User.objects.get(pk=user_id)
    cards = Card.objects.for_user(user).select_related("phrase__speech")
    card = cards.filter(pk=card_id).first()
    name = sound_name(card.phrase) if card is not None else ""
    if card is None or not name:
        return  # deleted, or its sound removed, since the tap
    try:
        note = voice_note(name)
    except (ToolFailed, FileNotFoundError):
        # Nothing to retry: the learner's next tap tries again.
        logger.exception("Could not make the voice note of card %s", card.pk)
        return
    upload = Upload("phrase.ogg", note, "audio/ogg")
    try:
        bot_api(timeout=30).upload("sendVoice", "voice", upload, chat_id=chat_id)
    except BotBlocked:
        User.objects.filter(pk=user.pk).update(bot_blocked=True)
    except TelegramError:
        logger.exception("Could not send the voice note of card %s", card.pk)
        raise
