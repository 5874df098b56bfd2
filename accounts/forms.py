import zoneinfo
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import INTERFACE_LANGUAGES, User, time_zone_names
from phraseweaver.widgets import NumberInput, SearchableSelect


def utc_offset(zone: str, moment: datetime) -> str:
    """The zone's offset at `moment`, as people write it: "UTC+3", "UTC-3:30", "UTC+0"."""
    offset = moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def time_zone_choices(now: datetime | None = None) -> list[tuple[str, str]]:
    """Each zone with its offset now (clocks change on the hour or the half hour)."""
    now = now or timezone.now()
    return _labelled_zones(now.replace(minute=now.minute // 30 * 30, second=0, microsecond=0))


@lru_cache(maxsize=2)
def _labelled_zones(moment: datetime) -> list[tuple[str, str]]:
    # ~500 offsets take tens of milliseconds: once per half hour and process is enough.
    return [
        (name, f"{name.replace('_', ' ')} ({utc_offset(name, moment)})")
        for name in time_zone_names()
    ]


# Monday first, as datetime.weekday() numbers them.
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


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
        widget=NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        help_text=_(
            "The share of cards you want to remember when they come up, from 0.70 to 0.97. "
            "Higher means more reviews."
        ),
    )
    easy_days = forms.TypedMultipleChoiceField(
        label=_("Easy days"),
        coerce=int,
        choices=WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Days with half the reviews: the others take them, a day or two earlier or later."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        widget=SearchableSelect(search_label=_("Search: a city or UTC+3")),
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
            "easy_days",
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
            "new_cards_per_day": NumberInput(attrs={"inputmode": "numeric"}),
            "reviews_per_day": NumberInput(attrs={"inputmode": "numeric"}),
            "daily_ceiling": NumberInput(attrs={"inputmode": "numeric"}),
            "learn_ahead_minutes": NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their inputs
        super().__init__(*args, **kwargs)
        # A legacy name the learner has (from before the list left them out) stays theirs.
        zone = self.instance.time_zone
        if zone not in time_zone_names():
            field = cast(forms.ChoiceField, self.fields["time_zone"])  # declared above as one
            field.choices = [*time_zone_choices(), (zone, zone)]


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
