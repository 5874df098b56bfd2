"""The bot's background tasks, enqueued by `manage.py run_periodic` (see cards.importing.jobs)."""

from dataclasses import asdict

from django_tasks import task

from bot.reminders import send_reminders


@task()
def send_reminders_task() -> dict[str, int]:
    """Today's reminders for whoever's hour has come; a rerun sends nobody a second one."""
    outcome = send_reminders()
    if outcome.failed:
        # A failed task is what the worker's log and the task's record show.
        raise RuntimeError(f"{outcome.failed} reminders could not be sent (see the log)")
    return asdict(outcome)
