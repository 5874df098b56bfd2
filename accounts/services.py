from django.db import IntegrityError, transaction

from accounts.initdata import TelegramUser
from accounts.models import DEFAULT_TIME_ZONE, User, time_zone_names


def _text(value: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL; a signed name containing one would otherwise be a 500.
    return value.replace("\x00", "")[:limit]


def _profile(tg: TelegramUser) -> dict:
    """What Telegram tells us about the user, cut to our column sizes."""
    return {
        "first_name": _text(tg.first_name, 150),
        "last_name": _text(tg.last_name, 150),
        "telegram_username": _text(tg.username, 64),
        "language_code": _text(tg.language_code, 16),
        "is_premium": tg.is_premium,
        "allows_write_to_pm": tg.allows_write_to_pm,
        "photo_url": _text(tg.photo_url, 1024) if tg.photo_url.startswith("https://") else "",
    }


def user_from_telegram(tg: TelegramUser) -> User:
    """The learner behind a validated initData: created on first sight, updated when changed.

    Nothing is written when nothing changed, so an ordinary request costs one SELECT.
    """
    profile = _profile(tg)
    user = User.objects.filter(telegram_id=tg.id).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(telegram_id=tg.id, username=f"tg{tg.id}", **profile)
                # Learners sign in through Telegram only, never with a password.
                user.set_unusable_password()
                user.save()
                return user
        except IntegrityError:
            # Two first requests raced; the other one created the user.
            user = User.objects.get(telegram_id=tg.id)
    changed = [field for field, value in profile.items() if getattr(user, field) != value]
    if changed:
        for field in changed:
            setattr(user, field, profile[field])
        user.save(update_fields=changed)
    return user


def settings_save(user: User, fields: list[str], *, time_zone_chosen: bool = False) -> None:
    """Saves the settings page's fields, which its forms have set on the user."""
    if time_zone_chosen:
        user.time_zone_chosen = True  # the device's time zone is never taken over it
        fields = [*fields, "time_zone_chosen"]
    if user.reminders_enabled and user.bot_blocked:
        # The learner asks for messages: try again; a 403 on the next send blocks them again.
        user.bot_blocked = False
        fields = [*fields, "bot_blocked"]
    user.save(update_fields=fields)


def device_time_zone_take(*, user: User, zone: str) -> None:
    """Take the device's time zone (static/js/app.js sends it) while the learner still has the
    default one: Telegram tells no time zone, and UTC would start a Moscow learner's day at 3 am.
    Never over a zone the learner chose, and only a zone of the list they would pick from."""
    if user.time_zone_chosen or user.time_zone != DEFAULT_TIME_ZONE or zone == user.time_zone:
        return
    if zone not in time_zone_names():  # a legacy alias ("Etc/UTC") would be a strange choice
        return
    user.time_zone = zone
    user.save(update_fields=["time_zone"])
