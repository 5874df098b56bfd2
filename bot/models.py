from django.conf import settings
from django.db import models
from django.urls import reverse


class ProcessedUpdate(models.Model):
    """A Telegram update already handled: Telegram redelivers updates it is unsure about."""

    update_id = models.BigIntegerField(primary_key=True)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table was made when the bot lived in accounts; it keeps its name and its rows.
        db_table = "accounts_processedupdate"

    def __str__(self) -> str:
        return str(self.update_id)


class ReceivedFile(models.Model):
    """A file a learner sent to the bot to import (bot.files), until they choose its deck in
    the Mini App (then it is an ImportJob's) or a day has passed (the hourly sweep)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    content = models.BinaryField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.name} from {self.owner_id}"

    def get_absolute_url(self) -> str:
        return reverse("received_file", args=[self.pk])
