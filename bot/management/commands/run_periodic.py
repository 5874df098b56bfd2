from typing import Any

from django.core.management.base import BaseCommand

from bot.tasks import send_reminders_task
from cards.importing.jobs import fail_abandoned_jobs_task


class Command(BaseCommand):
    help = (
        "The one scheduled entry point: run it every hour. Enqueues the periodic tasks for the "
        "worker: the reminders, and the sweep that fails imports whose worker died."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for periodic in (send_reminders_task, fail_abandoned_jobs_task):
            result = periodic.enqueue()
            self.stdout.write(f"Enqueued {periodic.name}: {result.id} ({result.status})")
