from django.db import IntegrityError, transaction

from accounts.initdata import TelegramUser
from accounts.models import User


def _profile(tg: TelegramUser) -> dict:
    """What Telegram tells us about the user, cut to our column sizes."""
    return {
        "first_name": tg.first_name[:150],
        "last_name": tg.last_name[:150],
        "telegram_username": tg.username[:64],
        "language_code": tg.language_code[:16],
        "is_premium": tg.is_premium,
        "allows_write_to_pm": tg.allows_write_to_pm,
        "photo_url": tg.photo_url[:1024] if tg.photo_url.startswith("https://") else "",
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
