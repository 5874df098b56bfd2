"""Sounds: whatever a learner records (MediaRecorder's audio/webm with Opus, audio/mp4 with AAC)
or uploads is decoded by Debian's ffmpeg and encoded anew as one MP3 format: mono, 22,050 Hz,
64 kbit/s (about 8 KB a second; plenty for a voice). MP3 because every Telegram client plays
it: iOS's WKWebView plays neither Ogg nor WebM. The server's speech (speech.py) goes through the
same two steps, so every sound the app serves is the same kind of file.

ffmpeg runs without a shell, on one thread, with a time limit, reading only the file it is
given (no other protocol: a playlist cannot make it fetch anything) through the demuxers of
audio containers only. Decoding stops just past the duration limit, so a long file costs no
more than a short one.
"""

import subprocess
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

from cards.media.files import MediaRefused, owner_prefix, read_upload, store

SAMPLE_RATE = 22_050
BITRATE = "64k"
TIMEOUT_SECONDS = 30
# The containers a browser records into or a learner's phone saves: WebM/Matroska, MP4/M4A,
# Ogg, MP3, WAV, FLAC, ADTS AAC, Core Audio (iOS), 3GP/AMR (Android recorders).
DEMUXERS = "matroska,webm,mov,mp4,m4a,3gp,ogg,mp3,wav,flac,aac,caf,amr"
FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1"]
PCM = ["-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE)]


class ToolFailed(Exception):
    """An external program (ffmpeg, espeak-ng) failed or took too long."""


@dataclass(frozen=True)
class Sound:
    mp3: bytes
    seconds: float


def run_tool(args: list[str], stdin: bytes = b"") -> bytes:
    """The program's standard output; ToolFailed when it fails or runs out of time."""
    try:
        done = subprocess.run(args, input=stdin, capture_output=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ToolFailed(f"{args[0]} took longer than {TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        error = done.stderr.decode(errors="replace").strip()[-300:]
        raise ToolFailed(f"{args[0]} exited with {done.returncode}: {error}")
    return done.stdout


def to_mp3(data: bytes, *, max_seconds: int) -> Sound:
    """The sound in `data` as our MP3; MediaRefused for no sound, or one over max_seconds."""
    with tempfile.NamedTemporaryFile(prefix="sound-") as source:
        source.write(data)
        source.flush()
        decode = [
            *FFMPEG,
            *("-protocol_whitelist", "file", "-format_whitelist", DEMUXERS),
            *("-i", source.name, "-map", "0:a:0", "-vn", "-sn", "-dn"),
            *("-t", str(max_seconds + 1), *PCM, "pipe:1"),
        ]
        try:
            pcm = run_tool(decode)
        except ToolFailed:
            raise MediaRefused(_("This is not a sound we can read.")) from None
    seconds = len(pcm) / (2 * SAMPLE_RATE)
    if seconds > max_seconds:
        raise MediaRefused(
            _("This sound is too long: at most %(seconds)s seconds.") % {"seconds": max_seconds}
        )
    if seconds < 0.1:
        raise MediaRefused(_("This file holds no sound."))
    encode = [*FFMPEG, *PCM, "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", BITRATE, "-f", "mp3"]
    return Sound(run_tool([*encode, "pipe:1"], stdin=pcm), seconds)


def store_recording(upload: File, *, owner_id: int) -> str:
    """Check, re-encode and store a learner's recording or sound file; the stored name."""
    sound = to_mp3(read_upload(upload), max_seconds=settings.AUDIO_MAX_SECONDS)
    return store(owner_prefix(owner_id, "sounds"), "mp3", sound.mp3)
