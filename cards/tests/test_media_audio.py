"""Recordings and uploaded sounds are decoded and re-encoded by ffmpeg to one MP3 format, with
size and duration limits; real files made by ffmpeg itself."""

import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cards.media.audio import SAMPLE_RATE, store_recording, to_mp3
from cards.media.files import MediaRefused


def made_by_ffmpeg(tmp_path, name: str, *args: str, seconds: float = 2) -> bytes:
    """A real file: `seconds` of a tone, encoded as the arguments say."""
    path = tmp_path / name
    source = ["-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *source, *args, str(path)], check=True
    )
    return path.read_bytes()


def probe(data: bytes, tmp_path) -> dict:
    path = tmp_path / "probe.mp3"
    path.write_bytes(data)
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    return json.loads(shown.stdout)


def chrome_webm(tmp_path, seconds: float = 2) -> bytes:
    """What Chromium's MediaRecorder gives: audio/webm with Opus."""
    return made_by_ffmpeg(tmp_path, "r.webm", "-c:a", "libopus", seconds=seconds)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("r.webm", ["-c:a", "libopus"]),
        ("r.mp4", ["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"]),
        ("r.m4a", ["-c:a", "aac"]),
        ("r.ogg", ["-c:a", "libvorbis"]),
        ("r.wav", []),
        ("r.mp3", ["-ac", "2", "-ar", "44100"]),
    ],
    ids=["webm-opus", "mp4-aac-fragmented", "m4a", "ogg-vorbis", "wav", "mp3-stereo"],
)
def test_every_recording_becomes_a_mono_mp3(tmp_path, name, args):
    sound = to_mp3(made_by_ffmpeg(tmp_path, name, *args), max_seconds=30)

    info = probe(sound.mp3, tmp_path)
    (stream,) = info["streams"]
    assert (stream["codec_name"], stream["channels"]) == ("mp3", 1)
    assert int(stream["sample_rate"]) == SAMPLE_RATE
    assert 1.9 < float(info["format"]["duration"]) < 2.2
    assert 1.9 < sound.seconds < 2.2


def test_a_recording_is_stored_as_mp3_under_its_owner(db, media_storage, alice, tmp_path):
    upload = SimpleUploadedFile("blob", chrome_webm(tmp_path), content_type="audio/webm")

    name = store_recording(upload, owner_id=alice.pk)

    assert name.startswith(f"users/{alice.pk}/sounds/") and name.endswith(".mp3")
    with media_storage.open(name) as file:
        assert probe(file.read(), tmp_path)["streams"][0]["codec_name"] == "mp3"


def test_a_sound_over_the_duration_limit_is_refused_with_the_limit(tmp_path):
    with pytest.raises(MediaRefused, match="too long: at most 30 seconds"):
        to_mp3(chrome_webm(tmp_path, seconds=40), max_seconds=30)


def test_an_upload_over_the_size_limit_is_refused(db, alice, settings, tmp_path):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1000
    upload = SimpleUploadedFile("r.webm", chrome_webm(tmp_path))

    with pytest.raises(MediaRefused, match="larger than"):
        store_recording(upload, owner_id=alice.pk)


def test_a_video_without_sound_is_refused(tmp_path):
    path = tmp_path / "silent.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         "color=size=64x64:duration=1", str(path)],
        check=True,
    )  # fmt: skip

    with pytest.raises(MediaRefused, match="not a sound we can read"):
        to_mp3(path.read_bytes(), max_seconds=30)


def test_a_playlist_cannot_make_ffmpeg_read_another_file(tmp_path):
    # ffmpeg's concat demuxer reads the files a playlist names beside it: where the upload is
    # decoded, that could be another learner's sound.
    beside = Path(tempfile.gettempdir()) / f"other-{tmp_path.name}.wav"
    beside.write_bytes(made_by_ffmpeg(tmp_path, "s.wav"))
    try:
        with pytest.raises(MediaRefused, match="not a sound we can read"):
            to_mp3(f"ffconcat version 1.0\nfile {beside.name}\n".encode(), max_seconds=30)
    finally:
        beside.unlink()


@pytest.mark.parametrize(
    "data", [b"", b"not a sound at all", b"\x1aE\xdf\xa3 truncated webm"], ids=str
)
def test_anything_that_is_not_a_sound_is_refused_clearly(data):
    with pytest.raises(MediaRefused, match="not a sound we can read"):
        to_mp3(data, max_seconds=30)
