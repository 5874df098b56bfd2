from django.contrib import admin
from django.http import HttpRequest

from cards.models import Card, Deck, ReviewLog


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "front_lang", "back_lang", "created"]
    list_filter = ["front_lang", "back_lang"]
    search_fields = ["name", "owner__username", "=owner__telegram_id"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["front", "back", "deck", "state", "due", "suspended"]
    list_filter = ["state", "suspended"]
    search_fields = ["front", "back", "tags", "deck__name"]
    list_select_related = ["deck"]
    raw_id_fields = ["deck"]
    readonly_fields = ["owner", "version", "created", "updated"]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    """Review history is evidence: staff can read it, not rewrite it."""

    list_display = ["card", "user", "rating", "reviewed_at", "duration_ms"]
    list_filter = ["rating", "state_before"]
    search_fields = ["card__front", "user__username", "=user__telegram_id"]
    list_select_related = ["card", "user"]
    date_hierarchy = "reviewed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReviewLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReviewLog | None = None) -> bool:
        return False
