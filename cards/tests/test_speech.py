"""The server's voice: espeak-ng in the deck language's voice, to MP3, stored once per text,
language and voice, made by a background task; a language without a voice gets none."""

import json
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cards.media import audio, speech, voices
from cards.media.models import Speech


@pytest.fixture
def espeak_runs(monkeypatch):
    """The espeak-ng commands run (each still runs for real)."""
    runs = []
    real = audio.run_tool

    def counted(args, stdin=b""):
        if args[0] == speech.ESPEAK and "--stdout" in args:
            runs.append(args)
        return real(args, stdin)

    monkeypatch.setattr(speech, "run_tool", counted)
    return runs


@pytest.mark.parametrize(
    ("language", "voice"),
    [
        ("es", "es"),
        ("es-MX", "es-419"),
        ("pt-BR", "pt-br"),
        ("pt", "pt"),
        ("zh-Hans", "cmn"),
        ("zh_Hant_TW", "cmn"),
        ("zh-HK", "yue"),
        ("ru", "ru"),
        ("fr", "fr-fr"),
        ("en-US", "en-us"),
        ("de-AT", "de"),
    ],
)
def test_a_deck_language_gets_the_voice_espeak_ng_gives_it(language, voice):
    assert speech.voice_for(language) == voice


@pytest.mark.parametrize("language", ["", "tlh", "xx-YY", "Spanish", "klingon"])
def test_a_language_without_a_voice_gets_none_rather_than_another(language):
    assert speech.voice_for(language) is None


def test_it_reads_a_text_into_a_stored_mp3(db, media_storage, tmp_path):
    made = speech.synthesise("¿Dónde está la estación?", "es")

    assert made.voice == "es" and made.language == "es"
    assert made.audio.startswith("speech/") and made.audio.endswith(".mp3")
    path = tmp_path / "speech.mp3"
    with media_storage.open(made.audio) as file:
        path.write_bytes(file.read())
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    (stream,) = json.loads(shown.stdout)["streams"]
    assert (stream["codec_name"], stream["channels"]) == ("mp3", 1)
    assert 1 < made.seconds < 5


def test_the_second_request_for_the_same_text_does_not_run_espeak_again(
    db, media_storage, espeak_runs
):
    first = speech.synthesise("Buenos días", "es")
    second = speech.synthesise("  Buenos   días ", "es")

    assert len(espeak_runs) == 1
    assert second == first
    assert Speech.objects.count() == 1


def test_the_same_text_in_another_language_is_read_again(db, espeak_runs):
    spanish = speech.synthesise("no", "es")
    russian = speech.synthesise("no", "ru")

    assert len(espeak_runs) == 2
    assert spanish.key != russian.key


def test_a_language_without_a_voice_runs_nothing_and_stores_nothing(db, espeak_runs):
    assert speech.synthesise("nuqneH", "tlh") is None

    assert espeak_runs == []
    assert not Speech.objects.exists()


def test_a_voice_espeak_ng_lacks_is_reported_and_stores_nothing(db, monkeypatch, caplog):
    monkeypatch.setitem(voices.ALIASES, "qq", "nosuchvoice")

    assert speech.synthesise("hola", "qq") is None

    assert not Speech.objects.exists()
    assert "espeak-ng could not read a text in nosuchvoice" in caplog.text


def test_adding_a_phrase_enqueues_its_reading_once_the_transaction_commits(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        speech.request_speech(["Hola", "Adiós", "   "], "es")
        assert not Speech.objects.exists()  # nothing yet: the task waits for the commit

    assert len(callbacks) == 1
    assert speech.find_speech("Hola", "es") is not None
    assert speech.find_speech("Adiós", "es") is not None


def test_a_deck_without_a_voice_enqueues_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        speech.request_speech(["nuqneH"], "tlh")

    assert callbacks == []


def test_looking_a_reading_up_costs_one_query_and_runs_nothing(
    db, django_assert_num_queries, espeak_runs
):
    speech.synthesise("Gracias", "es")
    espeak_runs.clear()

    with django_assert_num_queries(1):
        found = speech.find_speech("Gracias", "es")

    assert found is not None and espeak_runs == []


def test_two_workers_reading_the_same_text_keep_one_reading(db, media_storage, monkeypatch):
    real_store = speech.files.store
    key = speech.speech_key("Hola", "es", "es")

    def store_while_another_worker_finishes(prefix, extension, content):
        name = real_store(prefix, extension, content)
        other = default_storage.save("speech/other.mp3", ContentFile(content))
        Speech.objects.create(key=key, language="es", voice="es", audio=other, seconds=1)
        store_while_another_worker_finishes.ours = name
        return name

    monkeypatch.setattr(speech.files, "store", store_while_another_worker_finishes)

    kept = speech.synthesise("Hola", "es")

    assert kept.audio.startswith("speech/other")
    assert Speech.objects.count() == 1
    assert not default_storage.exists(store_while_another_worker_finishes.ours)
