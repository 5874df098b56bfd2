"""`manage.py run_periodic`, the one scheduled entry point, enqueues the periodic tasks."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


@pytest.mark.django_db
def test_run_periodic_enqueues_the_reminders_and_the_abandoned_import_sweep(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    out = StringIO()

    call_command("run_periodic", stdout=out)

    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert sorted(queued.values_list("task_path", flat=True)) == [
        "bot.tasks.send_reminders_task",
        "cards.importing.jobs.fail_abandoned_jobs_task",
    ]
    assert "Enqueued send_reminders_task" in out.getvalue()
