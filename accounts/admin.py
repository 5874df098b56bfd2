from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "telegram_id", "first_name", "telegram_username", "is_staff"]
    list_filter = ["is_staff", "is_superuser", "is_active", "is_premium", "interface_language"]
    search_fields = ["username", "first_name", "last_name", "telegram_username", "=telegram_id"]
    fieldsets = [
        # The stubs allow None (ModelAdmin's default); Django's UserAdmin always sets them.
        *(BaseUserAdmin.fieldsets or ()),
        (
            _("Telegram"),
            {
                "fields": [
                    "telegram_id",
                    "telegram_username",
                    "language_code",
                    "is_premium",
                    "allows_write_to_pm",
                    "photo_url",
                ]
            },
        ),
        (
            _("Study settings"),
            {
                "fields": [
                    "desired_retention",
                    "new_cards_per_day",
                    "reviews_per_day",
                    "time_zone",
                    "interface_language",
                ]
            },
        ),
        (
            _("Bot"),
            {
                "fields": [
                    "reminders_enabled",
                    "reminder_hour",
                    "last_reminded_on",
                    "bot_can_write",
                    "bot_blocked",
                ]
            },
        ),
    ]
    readonly_fields = ["last_reminded_on"]
