from django.contrib import admin
from django.http import HttpRequest

from cards.models import Card, Deck, Phrase, ReviewLog


@admin.register(Deck)
class DeckAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "front_lang", "back_lang", "created"]
    list_filter = ["front_lang", "back_lang"]
    search_fields = ["name", "owner__username", "=owner__telegram_id"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]


class CardInline(admin.TabularInline):
    model = Card
    fields = ["direction", "suspended", "state", "due", "last_review"]
    readonly_fields = ["state", "due", "last_review"]
    extra = 0


@admin.register(Phrase)
class PhraseAdmin(admin.ModelAdmin):
    list_display = ["front", "back", "deck", "created"]
    search_fields = ["front", "back", "tags", "deck__name"]
    list_select_related = ["deck"]
    raw_id_fields = ["deck"]
    readonly_fields = ["owner", "created", "updated"]
    inlines = [CardInline]


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ["phrase", "direction", "deck", "state", "due", "suspended"]
    list_filter = ["direction", "state", "suspended"]
    search_fields = ["phrase__front", "phrase__back", "phrase__tags", "deck__name"]
    list_select_related = ["deck", "phrase"]
    raw_id_fields = ["deck", "phrase"]
    readonly_fields = ["owner", "version", "buried_until", "created", "updated"]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    """Review history is evidence: staff can read it, not rewrite it."""

    list_display = ["card", "user", "rating", "reviewed_at", "duration_ms"]
    list_filter = ["rating", "state_before"]
    search_fields = ["card__phrase__front", "user__username", "=user__telegram_id"]
    list_select_related = ["card__phrase", "user"]
    date_hierarchy = "reviewed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReviewLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReviewLog | None = None) -> bool:
        return False
