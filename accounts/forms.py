import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import INTERFACE_LANGUAGES, User
from phraseweaver.widgets import PlainSelect


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    # Reading the time zone database scans files: once per process is enough.
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def interface_language_choices() -> list[tuple[str, str | Promise]]:
    # The languages are named in themselves, so that anyone can find their own.
    return [("", _("As in Telegram")), *INTERFACE_LANGUAGES]


class SettingsForm(forms.ModelForm):
    interface_language = forms.ChoiceField(
        label=_("Interface language"), choices=interface_language_choices, required=False
    )
    desired_retention = forms.FloatField(
        label=_("Desired retention"),
        min_value=0.70,
        max_value=0.97,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_(
            "The share of cards you want to remember when they come up, from 0.70 to 0.97. "
            "Higher means more reviews."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        widget=PlainSelect,
        help_text=_("Your day, the daily limits and the streak start at midnight here."),
    )

    class Meta:
        model = User
        fields = [
            "interface_language",
            "desired_retention",
            "new_cards_per_day",
            "reviews_per_day",
            "daily_ceiling",
            "learn_ahead_minutes",
            "time_zone",
        ]
        labels = {
            "new_cards_per_day": _("New cards per day"),
            "reviews_per_day": _("Reviews per day"),
            "daily_ceiling": _("Cards per day over all decks"),
            "learn_ahead_minutes": _("Learn ahead limit (minutes)"),
        }
        help_texts = {
            "new_cards_per_day": _("For new decks; each deck's own limits are on its edit screen."),
        }
        widgets = {
            "new_cards_per_day": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "reviews_per_day": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "daily_ceiling": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "learn_ahead_minutes": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their inputs
        super().__init__(*args, **kwargs)


class ReminderForm(forms.ModelForm):
    reminder_hour = forms.TypedChoiceField(
        label=_("Remind me at"),
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
    )

    class Meta:
        model = User
        fields = ["reminders_enabled", "reminder_hour"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.bot_reachable:
            # static/js/app.js asks Telegram for write access when this box gets ticked.
            self.fields["reminders_enabled"].widget.attrs["data-tg-request-write-access"] = ""
