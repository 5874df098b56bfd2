"""The server's voice, for clients whose WebView cannot speak (Android's has no speechSynthesis).

espeak-ng (Debian's package) reads the text in the voice for the deck's language and writes a
WAV, which audio.to_mp3 turns into our MP3. A deck language maps to the voice espeak-ng itself
picks for it (`espeak-ng --voices`: the lowest priority number among the voices that list the
language), trying "pt-BR", then "pt"; a language without a voice is reported as such
(`voice_for` is None) and never read in another. Each reading is stored once, as a Speech keyed
by voice, language and text, and made by a background task when a phrase is added or changed,
never in a review request: the review only looks it up.
"""

import hashlib
import logging
import unicodedata
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django_tasks import task

from cards.media import files
from cards.media.audio import ToolFailed, run_tool, to_mp3
from cards.media.files import MediaRefused
from cards.media.models import Speech
from cards.media.voices import ESPEAK, language_code, voice_for
from cards.models import Phrase

logger = logging.getLogger(__name__)
WORDS_PER_MINUTE = "150"  # espeak-ng's 175 is quick for a learner
MAX_CHARS = 500
MAX_SECONDS = 120


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def speech_key(text: str, language: str, voice: str) -> str:
    spoken = f"{voice}\n{language_code(language)}\n{normalise(text)}"
    return hashlib.sha256(spoken.encode()).hexdigest()


def find_speech(text: str, language: str) -> Speech | None:
    """The stored reading of `text` for a deck in `language`, if one was made (one query)."""
    voice = voice_for(language)
    if voice is None or not normalise(text):
        return None
    return Speech.objects.filter(key=speech_key(text, language, voice)).first()


def request_speech(texts: list[str], language: str) -> None:
    """Have the worker read these texts once the current transaction commits (a deck without a
    voice for its language gets nothing)."""
    texts = [normalise(text) for text in texts if 0 < len(normalise(text)) <= MAX_CHARS]
    if texts and voice_for(language) is not None:
        transaction.on_commit(lambda: synthesise_task.enqueue(texts, language))


@task()
def synthesise_task(texts: list[str], language: str) -> None:
    for text in texts:
        synthesise(text, language)


def synthesise(text: str, language: str) -> Speech | None:
    """The reading of `text`, made and stored unless it exists; None without a voice."""
    voice = voice_for(language)
    text = normalise(text)
    if voice is None or not text or len(text) > MAX_CHARS:
        return None
    key = speech_key(text, language, voice)
    existing = Speech.objects.filter(key=key).first()
    if existing is not None:
        return existing
    # The text on standard input, never as an argument: it cannot be taken for an option.
    espeak = [ESPEAK, "-v", voice, "-s", WORDS_PER_MINUTE, "-b", "1", "--stdin", "--stdout"]
    try:
        sound = to_mp3(run_tool(espeak, stdin=text.encode()), max_seconds=MAX_SECONDS)
    except (ToolFailed, MediaRefused):
        logger.exception("espeak-ng could not read a text in %s", voice)
        return None
    name = files.store("speech", "mp3", sound.mp3)
    try:
        with transaction.atomic():
            return Speech.objects.create(
                key=key,
                language=language_code(language),
                voice=voice,
                audio=name,
                seconds=sound.seconds,
            )
    except IntegrityError:  # another worker stored the same reading meanwhile
        files.delete(name)
        return Speech.objects.get(key=key)


def request_for_phrases(phrases: Iterable[Phrase]) -> None:
    """Have the worker read these phrases' fronts (those in decks with a voice for their front
    language) once the current transaction commits, and link each phrase to its reading."""
    ids = [p.pk for p in phrases if voice_for(p.deck.front_lang) and normalise(p.front)]
    if ids:
        transaction.on_commit(lambda: speak_phrases_task.enqueue(ids))


@task()
def speak_phrases_task(phrase_ids: list[int]) -> None:
    for phrase in Phrase.objects.filter(pk__in=phrase_ids).select_related("deck"):
        made = synthesise(phrase.front, phrase.deck.front_lang)
        if made is not None:
            # Unless the front changed meanwhile (its own task links the new reading).
            Phrase.objects.filter(pk=phrase.pk, front=phrase.front).update(speech=made)
