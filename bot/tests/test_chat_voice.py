"""The in-chat review's 🔊 button: the phrase's sound as an OGG/Opus voice note, encoded once
by the worker and kept beside the MP3."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from bot import voice
from bot.chat_review import answer_message, front_message
from bot.tests.conftest import post_update
from bot.tests.fake_telegram import callback_update, sender
from cards.media import audio, files, speech
from cards.models import Deck
from conftest import make_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def deck(alice):
    return Deck.objects.create(owner=alice, name="Spanish", front_lang="es")


@pytest.fixture
def spoken(deck):
    """A card whose phrase has the server's reading of its front."""
    card = make_card(deck=deck, front="hola", back="hello")
    card.phrase.speech = speech.synthesise("hola", "es")
    card.phrase.save()
    return card


@pytest.fixture
def encodings(monkeypatch):
    """The libopus encodings run (each still runs for real)."""
    runs = []

    def counted(args, stdin=b""):
        runs.append(args)
        return audio.run_tool(args, stdin)

    monkeypatch.setattr(voice, "run_tool", counted)
    return runs


def press(client, data, user, update_id=1):
    update = callback_update(update_id, data, sender(user))
    post_update(client, update)


def buttons(message: dict) -> list[dict]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


def test_the_speaker_button_sends_the_phrases_sound_as_an_ogg_opus_voice_note(
    client, telegram, alice, spoken, encodings, django_capture_on_commit_callbacks
):
    [say] = [b for b in buttons(front_message(spoken)) if b["text"] == "🔊"]

    with django_capture_on_commit_callbacks(execute=True):
        press(client, say["callback_data"], alice)

    assert [call.get("text") for call in telegram.calls("answerCallbackQuery")] == [
        "Sending the sound…"
    ]
    [sent] = telegram.calls("sendVoice")
    assert sent["chat_id"] == str(alice.telegram_id)
    note = sent["voice"]
    assert note.content_type == "audio/ogg"
    assert note.content.startswith(b"OggS") and b"OpusHead" in note.content[:100]
    assert len(encodings) == 1
    stored = files.voice_note_name(spoken.phrase.speech.audio)
    assert stored.endswith(".ogg") and default_storage.exists(stored)


def test_a_second_tap_sends_the_stored_voice_note_without_encoding_it_again(
    client, telegram, alice, spoken, encodings, django_capture_on_commit_callbacks
):
    data = f"rv:{spoken.pk}:0:say:0"
    with django_capture_on_commit_callbacks(execute=True):
        press(client, data, alice, update_id=1)
        press(client, data, alice, update_id=2)

    first, second = telegram.calls("sendVoice")
    assert first["voice"].content == second["voice"].content
    assert len(encodings) == 1


def test_the_learners_own_recording_comes_before_the_servers_reading(
    client, telegram, alice, spoken, django_capture_on_commit_callbacks
):
    recording = audio.to_mp3(
        audio.run_tool([speech.ESPEAK, "-v", "es", "--stdout", "adiós"]), max_seconds=10
    )
    spoken.phrase.audio = files.store("users/1/sounds", "mp3", recording.mp3)
    spoken.phrase.save()

    with django_capture_on_commit_callbacks(execute=True):
        press(client, f"rv:{spoken.pk}:0:say:0", alice)

    assert default_storage.exists(files.voice_note_name(spoken.phrase.audio))
    assert not default_storage.exists(files.voice_note_name(spoken.phrase.speech.audio))


def test_a_card_without_a_sound_has_no_speaker_button_and_a_stale_tap_says_so(
    client, telegram, alice, deck, django_capture_on_commit_callbacks
):
    card = make_card(deck=deck, front="hola", back="hello")
    assert all(b["text"] != "🔊" for b in buttons(front_message(card)))

    with django_capture_on_commit_callbacks(execute=True):
        press(client, f"rv:{card.pk}:0:say:0", alice)

    assert telegram.calls("answerCallbackQuery")[0]["text"] == "This phrase has no sound."
    assert telegram.calls("sendVoice") == []


def test_someone_elses_card_is_not_read_out(
    client, telegram, bob, spoken, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        press(client, f"rv:{spoken.pk}:0:say:0", bob)

    assert telegram.calls("answerCallbackQuery")[0]["text"] == (
        "This card is no longer in your decks."
    )
    assert telegram.calls("sendVoice") == []


def test_a_production_card_keeps_its_sound_for_the_answer(alice, deck):
    card = make_card(deck=deck, front="hola", back="hello", direction="production")
    card.phrase.speech = speech.synthesise("hola", "es")
    card.phrase.save()
    assert all(b["text"] != "🔊" for b in buttons(front_message(card)))
    answer = answer_message(card, learner=alice, graded=0, now=timezone.now())
    assert buttons(answer)[-1] == {"text": "🔊", "callback_data": f"rv:{card.pk}:0:say:0"}


def test_removing_a_sound_removes_its_voice_note(spoken):
    name = spoken.phrase.speech.audio
    voice.voice_note(name)
    assert default_storage.exists(files.voice_note_name(name))

    files.delete(name)

    assert not default_storage.exists(files.voice_note_name(name))


def test_a_sound_gone_from_storage_sends_no_voice_note(
    client, telegram, alice, spoken, django_capture_on_commit_callbacks
):
    default_storage.delete(spoken.phrase.speech.audio)

    with django_capture_on_commit_callbacks(execute=True):
        press(client, f"rv:{spoken.pk}:0:say:0", alice)

    assert telegram.calls("sendVoice") == []
