from django.db import models


class Speech(models.Model):
    """The server's reading of one text in one voice, stored once for everyone who learns it.

    `key` is the SHA-256 of the voice, the language and the normalised text
    (cards.media.speech.speech_key): the second phrase with the same text finds it and nothing
    runs again. The file's own name is random, like every media file's, so it tells nothing
    of the text.
    """

    key = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=16)
    voice = models.CharField(max_length=64)
    audio = models.CharField(max_length=255)  # the name in the default storage
    seconds = models.FloatField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "speech"

    def __str__(self) -> str:
        return f"{self.voice}: {self.key[:12]}"
