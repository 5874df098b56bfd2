import zoneinfo
from functools import cache

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

INTERFACE_LANGUAGES = [("en", "English"), ("ru", "Русский")]
SUPPORTED_LANGUAGES = {code for code, _name in INTERFACE_LANGUAGES}


DEFAULT_TIME_ZONE = "UTC"


@cache
def known_time_zones() -> frozenset[str]:
    # Reading the time zone database scans files: once per process is enough.
    return frozenset(zoneinfo.available_timezones())


# The regions of the time zone database's cities. The other ~110 names are legacy aliases
# ("US/Eastern", "Etc/GMT+5", "Japan", "Etc/UTC") of zones the list already has.
TIME_ZONE_REGIONS = {
    "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
    "Indian", "Pacific",
}  # fmt: skip


@cache
def time_zone_names() -> list[str]:
    """The zones a learner picks from: the cities, and UTC."""
    cities = (name for name in known_time_zones() if name.split("/")[0] in TIME_ZONE_REGIONS)
    return sorted([*cities, DEFAULT_TIME_ZONE])


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    """A learner (keyed by Telegram user id) or a staff account (username and password).

    Learners get `username = "tg<telegram_id>"` so Django's own machinery keeps working; their
    Telegram @username lives in `telegram_username`.
    """

    telegram_id = models.BigIntegerField(unique=True, null=True, blank=True)
    telegram_username = models.CharField(max_length=64, blank=True)
    language_code = models.CharField(max_length=16, blank=True)
    is_premium = models.BooleanField(default=False)
    allows_write_to_pm = models.BooleanField(default=False)
    photo_url = models.URLField(max_length=1024, blank=True)

    desired_retention = models.FloatField(
        _("desired retention"),
        default=0.9,
        validators=[MinValueValidator(0.70), MaxValueValidator(0.97)],
    )
    new_cards_per_day = models.PositiveIntegerField(
        _("new cards per day"), default=20, validators=[MaxValueValidator(9999)]
    )
    reviews_per_day = models.PositiveIntegerField(
        _("reviews per day"), default=200, validators=[MaxValueValidator(99999)]
    )
    # The decks' own limits (new decks start with the two above) apply first; this caps what
    # all decks together may show in a day. None: no ceiling.
    daily_ceiling = models.PositiveIntegerField(
        _("cards per day over all decks"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(99999)],
        help_text=_("Empty: no limit beyond each deck's own."),
    )
    learn_ahead_minutes = models.PositiveSmallIntegerField(
        _("learn ahead limit (minutes)"),
        default=20,
        validators=[MaxValueValidator(1440)],
        help_text=_(
            "When nothing else is left, cards you are learning that come due within this "
            "many minutes are shown now."
        ),
    )
    # The learner's personal FSRS-6 parameters (21 numbers), adopted by cards.parameter_jobs
    # when they predict the learner's reviews better; empty: FSRS's defaults. A column here,
    # beside desired retention, so that grading reads them without a query.
    fsrs_parameters = models.JSONField(default=list, blank=True, editable=False)
    # Easy days (weekday numbers, Monday 0): the load balancer gives them at most half an
    # ordinary day's reviews (cards.scheduling.balanced_days).
    easy_days = models.JSONField(_("easy days"), default=list, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    # The learner picked a time zone in the settings: the device's is never taken over it.
    time_zone_chosen = models.BooleanField(default=False, editable=False)
    interface_language = models.CharField(
        _("interface language"),
        max_length=8,
        blank=True,
        choices=INTERFACE_LANGUAGES,
        help_text=_("Empty: follow the Telegram app's language."),
    )

    # Reminder preferences, at a local hour in `time_zone`; bot/reminders.py sends them.
    reminders_enabled = models.BooleanField(_("daily reminders"), default=False)
    reminder_hour = models.PositiveSmallIntegerField(
        _("reminder hour"), default=19, validators=[MaxValueValidator(23)]
    )
    last_reminded_on = models.DateField(null=True, blank=True, editable=False)
    # Telegram lets a bot message only those who started it or granted it write access. The
    # initData flag `allows_write_to_pm` says the latter but is stale for a whole session, so
    # a message in the bot's chat (or the write-access service message) sets this one.
    bot_can_write = models.BooleanField(default=False)
    # Telegram answered 403 (the learner blocked the bot): no more messages until they write to
    # the bot again or turn reminders back on.
    bot_blocked = models.BooleanField(default=False)

    # django-stubs leaves out the inner Meta of Django's abstract models; Django has it.
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        indexes = [
            # The hourly reminder run looks only at learners who turned reminders on.
            models.Index(
                fields=["reminder_hour", "time_zone"],
                condition=models.Q(reminders_enabled=True),
                name="user_reminders",
            )
        ]

    def __str__(self) -> str:
        if self.telegram_id is None:
            return self.username
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.telegram_username or self.username

    @property
    def language(self) -> str:
        """The user's choice, else Telegram's language when we have it, else English."""
        if self.interface_language in SUPPORTED_LANGUAGES:
            return self.interface_language
        code = self.language_code.split("-")[0].lower()
        return code if code in SUPPORTED_LANGUAGES else "en"

    @property
    def bot_reachable(self) -> bool:
        return not self.bot_blocked and (self.bot_can_write or self.allows_write_to_pm)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")
