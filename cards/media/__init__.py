"""Learners' pictures and sounds: checked and re-encoded on the way in (images.py with Pillow,
audio.py with ffmpeg), the server's speech (speech.py: espeak-ng, cached by text, language and
voice), all stored through Django's storage API (files.py). Their URLs: phraseweaver/media.py.
"""
