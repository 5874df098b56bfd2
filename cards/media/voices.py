"""Which espeak-ng voice reads a deck's language (speech.py): the one espeak-ng itself ranks
first for it, trying "pt-BR", then "pt"; None for a language it has no voice for."""

import functools
import re

from cards.media.audio import run_tool

ESPEAK = "espeak-ng"
OTHER_LANGUAGE = re.compile(r"\(([\w-]+) (\d+)\)")
# Where espeak-ng's own choice would be the wrong language: Hong Kong and Macao read Chinese in
# Cantonese, not Mandarin.
ALIASES = {"zh-hk": "yue", "zh-mo": "yue", "zh-hant-hk": "yue", "zh-hant-mo": "yue"}
OTHER_LANGUAGE = re.compile(r"\(([\w-]+) (\d+)\)")


@functools.cache
def installed_voices() -> dict[str, str]:
    """Language code (lower case) → the espeak-ng voice that speaks it best, as espeak-ng
    lists them: `Pty Language Age/Gender VoiceName File (other language priority)…`."""
    listing = run_tool([ESPEAK, "--voices"]).decode(errors="replace")
    best: dict[str, tuple[int, str]] = {}
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 5 or not fields[0].isdigit():
            continue
        voice = fields[1]
        offers = [(voice, int(fields[0]))]
        offers += [(code, int(priority)) for code, priority in OTHER_LANGUAGE.findall(line)]
        for code, priority in offers:
            if code.lower() not in best or priority < best[code.lower()][0]:
                best[code.lower()] = (priority, voice)
    return {code: voice for code, (_priority, voice) in best.items()}


def language_code(language: str) -> str:
    return language.strip().lower().replace("_", "-")


def voice_for(language: str) -> str | None:
    """The espeak-ng voice for a deck language ("es", "pt-BR", "zh-Hans"), or None."""
    code = language_code(language)
    voices = installed_voices()
    while code:
        if code in ALIASES:
            return ALIASES[code]
        if code in voices:
            return voices[code]
        code = code.rpartition("-")[0]
    return None
