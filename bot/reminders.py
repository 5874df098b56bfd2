"""Daily reminders: "12 cards are waiting", once per local day, at the learner's hour.

`send_reminders` runs every hour (manage.py send_reminders). Each learner is claimed with a
conditional UPDATE of `last_reminded_on` before the message goes out, so a crash half-way or a
second run in the same hour never sends anyone a second reminder (at most once a day: a send
that fails after the claim is not retried that day). The hourly run also forgets webhook
updates older than a week (bot.updates keeps them to spot redeliveries).
"""

import logging
import time
import zoneinfo
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from accounts.models import User
from bot import chat_review
from bot.models import ProcessedUpdate
from bot.telegram_api import BotAPI, BotBlocked, TelegramError, bot_api
from cards.day import LearnerDay
from cards.models import Card

logger = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 25  # Telegram allows about 30 a second in bulk
# A late or missed hourly run still reminds learners whose hour was up to this many hours ago.
CATCH_UP_HOURS = 2
PROCESSED_UPDATES_KEPT = timedelta(days=7)  # Telegram gives up redelivering long before


class RateLimiter:
    """At most `rate` events in any `per` seconds; the clock and sleep are injectable."""

    def __init__(
        self,
        rate: int = MESSAGES_PER_SECOND,
        per: float = 1.0,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        self.rate = rate
        self.per = per
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.sent: deque[float] = deque(maxlen=rate)

    def wait(self) -> None:
        if len(self.sent) == self.rate:
            wait = self.sent[0] + self.per - self.clock()
            if wait > 0:
                self.sleep(wait)
        self.sent.append(self.clock())


@dataclass
class Outcome:
    sent: int = 0
    blocked: int = 0
    failed: int = 0


@lru_cache(maxsize=1)
def _time_zones() -> tuple[zoneinfo.ZoneInfo, ...]:
    return tuple(zoneinfo.ZoneInfo(name) for name in sorted(zoneinfo.available_timezones()))


def _reminder_time(now: datetime) -> Q:
    """Learners whose local hour has come (or came up to CATCH_UP_HOURS ago) and who have not
    been reminded on their local date: one clause per (local date, local hour) in the world."""
    zones: defaultdict[tuple[date, int], list[str]] = defaultdict(list)
    for zone in _time_zones():
        local = now.astimezone(zone)
        zones[(local.date(), local.hour)].append(zone.key)
    clause = Q(pk__in=[])
    for (day, hour), names in zones.items():
        clause |= Q(
            time_zone__in=names,
            reminder_hour__range=(hour - CATCH_UP_HOURS, hour),
        ) & (Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=day))
    return clause


def learners_to_remind(now: datetime) -> QuerySet[User]:
    """Learners whose reminder time has come and who have cards due (one query); how many of
    those today's limits still let them study is the learner's day's to say (cards.day)."""
    due = Card.objects.unburied(now).filter(
        owner=OuterRef("pk"), suspended=False, last_review__isnull=False, due__lte=now
    )
    return (
        User.objects.filter(reminders_enabled=True, bot_blocked=False, telegram_id__isnull=False)
        .filter(Q(bot_can_write=True) | Q(allows_write_to_pm=True))
        .filter(_reminder_time(now))
        .filter(Exists(due))
        .order_by("pk")
    )


def _claim(user: User, day: date) -> bool:
    """Mark the learner reminded today, unless another run got there first."""
    unclaimed = Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=day)
    return bool(User.objects.filter(unclaimed, pk=user.pk).update(last_reminded_on=day))


def _reminder(user: User, due: int, card: Card | None) -> dict:
    with translation.override(user.language):
        waiting = ngettext(
            "%(count)d card is waiting for you.",
            "%(count)d cards are waiting for you.",
            due,
        ) % {"count": due}
        if card is None:  # deleted since the count: the reminder alone still helps
            button = chat_review.web_app_button(gettext("Open the app"), "review")
            return {"text": waiting, "reply_markup": {"inline_keyboard": [[button]]}}
        return chat_review.front_message(card, header=waiting)


def send_reminders(
    *,
    now: datetime | None = None,
    api: BotAPI | None = None,
    limiter: RateLimiter | None = None,
) -> Outcome:
    now = now or timezone.now()
    api = api or bot_api()
    limiter = limiter or RateLimiter()
    outcome = Outcome()
    for user in learners_to_remind(now):
        day = LearnerDay(user, now)
        # The number home shows as "Due now": none when today's review limit is used up.
        card, due, _new = day.next_in_queue()
        if not due or not _claim(user, day.today):
            continue
        limiter.wait()
        try:
            api.call(
                "sendMessage",
                chat_id=user.telegram_id,
                **_reminder(user, due, card),
            )
        except BotBlocked:
            User.objects.filter(pk=user.pk).update(bot_blocked=True)
            outcome.blocked += 1
        except TelegramError as error:
            logger.error("Reminder for user %d failed: %s", user.pk, error)
            outcome.failed += 1
        else:
            outcome.sent += 1
    ProcessedUpdate.objects.filter(processed_at__lt=now - PROCESSED_UPDATES_KEPT).delete()
    return outcome
