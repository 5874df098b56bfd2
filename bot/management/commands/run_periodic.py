from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend

from bot.files import sweep_received_files_task
from bot.tasks import send_reminders_task
from cards.export_jobs import sweep_export_jobs_task
from cards.importing.jobs import sweep_import_jobs_task
from cards.parameter_jobs import refit_due_task

# How long the queue keeps the record of a finished task.
TASK_RESULTS_KEPT_DAYS = 14


class Command(BaseCommand):
    help = (
        "The one scheduled entry point: run it every hour. Enqueues the periodic tasks for the "
        "worker: the reminders, the sweep of imports (those whose worker died are failed, "
        "old ones forgotten) and of data exports (likewise; finished ones removed after a "
        "day), the refits of learners' FSRS parameters that are due, and the sweep of files "
        "sent to the bot and never imported; drops the queue's records of tasks finished two "
        "weeks ago."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        periodic_tasks = (
            send_reminders_task,
            sweep_import_jobs_task,
            sweep_export_jobs_task,
            refit_due_task,
            sweep_received_files_task,
        )
        for periodic in periodic_tasks:
            result = periodic.enqueue()
            self.stdout.write(f"Enqueued {periodic.name}: {result.id} ({result.status})")
        if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
            days = str(TASK_RESULTS_KEPT_DAYS)
            call_command("prune_db_task_results", "--queue-name=*", f"--min-age-days={days}")
