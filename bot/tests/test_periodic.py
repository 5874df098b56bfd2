"""`manage.py run_periodic`, the one scheduled entry point, enqueues the periodic tasks."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cards.importing.jobs import sweep_import_jobs_task
from cards.models import Deck, ImportJob


@pytest.mark.django_db
def test_run_periodic_enqueues_the_reminders_and_the_abandoned_import_sweep(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    out = StringIO()

    call_command("run_periodic", stdout=out)

    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert sorted(queued.values_list("task_path", flat=True)) == [
        "bot.files.sweep_received_files_task",
        "bot.tasks.send_reminders_task",
        "cards.export_jobs.sweep_export_jobs_task",
        "cards.importing.jobs.sweep_import_jobs_task",
        "cards.parameter_jobs.refit_due_task",
    ]
    assert "Enqueued send_reminders_task" in out.getvalue()


@pytest.mark.django_db
def test_run_periodic_forgets_the_queue_s_records_of_tasks_finished_long_ago(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("run_periodic", stdout=StringIO())
    long_ago = timezone.now() - timedelta(days=15)
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL, finished_at=long_ago)

    call_command("run_periodic", stdout=StringIO())

    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 5
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).exists()


@pytest.mark.django_db
def test_the_sweep_forgets_imports_finished_a_month_ago(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    finished = {"status": ImportJob.Status.DONE, "report": {}}
    old = ImportJob.objects.create(owner=alice, deck=deck, **finished)
    recent = ImportJob.objects.create(owner=alice, deck=deck, **finished)
    ImportJob.objects.filter(pk=old.pk).update(finished=timezone.now() - timedelta(days=31))
    ImportJob.objects.filter(pk=recent.pk).update(finished=timezone.now() - timedelta(days=1))

    assert sweep_import_jobs_task.call() == {"failed": 0, "forgotten": 1}
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [recent.pk]
