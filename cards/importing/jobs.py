"""Imports as background tasks (Django's Tasks framework, the database backend's db_worker).

The request stores the file and the form's fields in an ImportJob and enqueues `import_task`
in the same transaction; the worker reads the file, imports a batch per transaction (each one
renews the job's lease and records its progress) and leaves the report on the job. The Tasks
framework has no lease of its own: a running job whose lease ran out was left by a worker that
died, and `fail_abandoned_jobs` marks it failed and removes what it had added. A failed import
has imported nothing.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django_tasks import task

from cards.importing.formats import ImportRefused, Source
from cards.importing.forms import ImportForm
from cards.importing.service import JobAbandoned, deck_import
from cards.load import due_counts_forget
from cards.media.files import delete_on_commit
from cards.models import Deck, ImportJob, Phrase
from phraseweaver.tasks import claim_job, enqueue_job, fail_task_result

logger = logging.getLogger(__name__)
DELETE_BATCH = 1000
JOBS_KEPT = timedelta(days=30)
# Form fields that are not options: the text travels in the job's upload, the token nowhere.
NOT_OPTIONS = ("text", "file", "csrfmiddlewaretoken")


def start_import(*, deck: Deck, form: ImportForm) -> ImportJob:
    """Store a validated import form's file (or text) and fields, and enqueue its import."""
    upload = form.cleaned_data["file"]
    with transaction.atomic():
        job = ImportJob.objects.create(
            owner_id=deck.owner_id,
            deck=deck,
            form_data={k: v for k, v in form.data.items() if k not in NOT_OPTIONS},
            upload=upload.read() if upload else form.cleaned_data["text"].encode(),
            upload_name=upload.name if upload else "",
        )
        enqueue_job(job, import_task)
    return job


@task()
def import_task(job_id: int) -> None:
    run_import(job_id)


def run_import(job_id: int) -> None:
    """Run one queued job to its end: done with its report, or failed with why."""
    fail_abandoned_jobs()
    now = timezone.now()
    if not claim_job(ImportJob, job_id, heartbeat=now):
        return  # already run, or failed before it started
    job = ImportJob.objects.select_related("deck__owner").get(pk=job_id)
    # The learner's language (their choice in the settings, else Telegram's), as on every screen.
    with translation.override(job.deck.owner.language):
        try:
            form, source = _read(job)
            job.upload = b""  # parsed: neither this process nor the database keeps the file
            ImportJob.objects.filter(pk=job.pk).update(total=len(source.rows), upload=b"")
            deck_import(deck=job.deck, source=source, options=form.options(source), job=job)
        except JobAbandoned:
            logger.warning("Import %s was marked abandoned while it ran", job.pk)
        except ImportRefused as refused:
            _fail(job, str(refused))
        except Exception:
            logger.exception("Import %s failed", job.pk)
            _fail(job, _("Something went wrong on our side."))
    # Kept or undone, the cards it brought moved the learner's days (load balance).
    due_counts_forget(job.deck.owner)


def _read(job: ImportJob) -> tuple[ImportForm, Source]:
    data = dict(job.form_data)
    files: MultiValueDict[str, UploadedFile] = MultiValueDict()
    if job.upload_name:
        files["file"] = SimpleUploadedFile(job.upload_name, bytes(job.upload))
    else:
        data["text"] = bytes(job.upload).decode()
    form = ImportForm(data, files)
    source = form.source()
    if source is None:
        errors = [str(error) for errors in form.errors.values() for error in errors]
        raise ImportRefused(" ".join(errors))
    return form, source


def _fail(job: ImportJob, error: str) -> None:
    with transaction.atomic():
        failed = ImportJob.objects.filter(pk=job.pk, status__in=ImportJob.ACTIVE).update(
            status=ImportJob.Status.FAILED, error=error, finished=timezone.now(), upload=b""
        )
        if failed:
            _undo(job)


def _undo(job: ImportJob) -> None:
    """Remove what the job added: its phrases (with their cards, review logs and media files)
    and the decks it made."""
    while batch := list(
        Phrase.objects.filter(import_job=job).values_list("pk", "image", "audio")[:DELETE_BATCH]
    ):
        Phrase.objects.filter(pk__in=[pk for pk, *_media in batch]).delete()
        delete_on_commit([name for _pk, *media in batch for name in media])
    Deck.objects.filter(owner_id=job.owner_id, pk__in=job.created_decks).delete()


def fail_abandoned_jobs(
    jobs: QuerySet[ImportJob] | None = None, *, now: datetime | None = None
) -> int:
    """Fail the running jobs whose lease ran out (their worker died) and undo what they wrote.

    Run by every import task before its own work, by the import screen that shows such a job
    and by the hourly `run_periodic` command. A worker that is only slow finds its job failed
    at its next batch and stops (JobAbandoned), its open batch rolled back.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS)
    jobs = ImportJob.objects.all() if jobs is None else jobs
    stale = jobs.filter(status=ImportJob.Status.RUNNING, heartbeat__lt=cutoff)
    count = 0
    fields = (
        "pk",
        "owner__language_code",
        "owner__interface_language",
        "owner__time_zone",
        "created_decks",
        "task_id",
    )
    for job in stale.select_related("owner").only(*fields):
        with transaction.atomic(), translation.override(job.owner.language):
            # The conditional UPDATE takes the job's row: a worker renewing the lease at the
            # same moment either renews it first (this matches nothing) or finds it failed.
            failed = ImportJob.objects.filter(
                pk=job.pk, status=ImportJob.Status.RUNNING, heartbeat__lt=cutoff
            ).update(
                status=ImportJob.Status.FAILED,
                error=_("The import stopped before it finished."),
                finished=now,
                upload=b"",
            )
            if not failed:
                continue
            _undo(job)
            due_counts_forget(job.owner)
            fail_task_result(job.task_id, now)
            count += 1
    return count


@task()
def sweep_import_jobs_task() -> dict[str, int]:
    """The hourly sweep (`manage.py run_periodic`): abandoned jobs nobody looks at are failed,
    and finished ones (their reports) are forgotten after JOBS_KEPT."""
    cutoff = timezone.now() - JOBS_KEPT
    forgotten, _by_model = (
        ImportJob.objects.exclude(status__in=ImportJob.ACTIVE).filter(finished__lt=cutoff).delete()
    )
    return {"failed": fail_abandoned_jobs(), "forgotten": forgotten}
