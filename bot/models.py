from django.db import models


class ProcessedUpdate(models.Model):
    """A Telegram update already handled: Telegram redelivers updates it is unsure about."""

    update_id = models.BigIntegerField(primary_key=True)
    processed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The table was made when the bot lived in accounts; it keeps its name and its rows.
        db_table = "accounts_processedupdate"

    def __str__(self) -> str:
        return str(self.update_id)
