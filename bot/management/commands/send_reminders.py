from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bot.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Send today's reminder to learners whose local reminder hour has come and who have "
        "cards due. Run it every hour; a rerun sends nobody a second reminder."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = send_reminders()
        self.stdout.write(
            f"Reminders sent: {outcome.sent}, bot blocked: {outcome.blocked}, "
            f"failed: {outcome.failed}"
        )
        if outcome.failed:
            # A non-zero exit lets the scheduler alert; the failed learners wait until tomorrow.
            raise CommandError(f"{outcome.failed} reminders could not be sent (see the log)")
