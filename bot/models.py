from django.conf import settings
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


class CardDraft(models.Model):
    """A phrase the bot read in a learner's message, waiting for the learner to confirm it.

    The drafts of one message share its `message_id` (a message id is unique in a chat, and the
    bot's only chat with a learner is theirs): the buttons under the bot's answer name it.
    Confirming makes the phrase and sets `added`, once: a second tap finds nothing left to add.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_drafts"
    )
    message_id = models.BigIntegerField()
    front = models.CharField(max_length=1000)
    back = models.CharField(max_length=1000, blank=True)  # needed before the draft is added
    notes = models.TextField(max_length=2000, blank=True)
    # The deck the learner picked under the bot's answer (the last used one until then).
    deck = models.ForeignKey(
        "cards.Deck", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added = models.DateTimeField(null=True, blank=True)  # when it became a phrase
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "message_id"], name="draft_owner_message")]

    def __str__(self) -> str:
        return self.front
