""" "Export all my data" as a background task (Django's Tasks framework, like the imports).

The request creates an ExportJob and enqueues `export_task` in the same transaction; the worker
writes the zip into a spooled temporary file (in memory while small, on the worker's disk when
large), renewing the job's lease after each file of the zip, and stores the finished zip on
the job, in the database, since the worker may run on another machine. The download is a signed
link to the job; the hourly sweep fails exports whose worker died and removes finished ones
after EXPORT_KEPT_HOURS.
"""

import logging
import tempfile
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User
from cards.exporting import write_user_archive
from cards.models import ExportJob
from phraseweaver.tasks import claim_job, enqueue_job, fail_task_result

logger = logging.getLogger(__name__)
# The zip stays in memory up to this size; beyond it the temporary file is on disk.
SPOOL_BYTES = 1_000_000
ARCHIVE_NAME = "phraseweaver-export.zip"


class ExportAbandoned(Exception):
    """The job was failed (its lease ran out) while this worker was still writing it."""


def kept() -> timedelta:
    return timedelta(hours=settings.EXPORT_KEPT_HOURS)


def current_jobs(user: User) -> QuerySet[ExportJob]:
    """The learner's exports that still count: running, or finished less than EXPORT_KEPT ago.
    Never the stored zip itself: the screen shows the job's state."""
    fresh = timezone.now() - kept()
    jobs = ExportJob.objects.filter(owner=user).defer("archive")
    return jobs.exclude(
        status__in=[ExportJob.Status.DONE, ExportJob.Status.FAILED], finished__lt=fresh
    )


def start_export(user: User) -> ExportJob:
    """The learner's running export, or a new one enqueued (older exports are forgotten)."""
    with transaction.atomic():
        # The learner's row serialises two taps on the button: one export at a time.
        User.objects.select_for_update().filter(pk=user.pk).first()
        running = current_jobs(user).filter(status__in=ExportJob.ACTIVE).first()
        if running is not None:
            return running
        ExportJob.objects.filter(owner=user).delete()
        job = ExportJob.objects.create(owner=user)
        enqueue_job(job, export_task)
    return job


@task()
def export_task(job_id: int) -> None:
    run_export(job_id)


def run_export(job_id: int) -> None:
    """Build one queued job's zip: done with the archive stored, or failed with why."""
    fail_abandoned_exports()
    if not claim_job(ExportJob, job_id, heartbeat=timezone.now()):
        return  # already run, or failed before it started
    job = ExportJob.objects.select_related("owner").defer("archive").get(pk=job_id)
    with translation.override(job.owner.language):
        try:
            _build(job)
        except ExportAbandoned:
            logger.warning("Export %s was marked abandoned while it ran", job.pk)
        except Exception:
            logger.exception("Export %s failed", job.pk)
            ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.ACTIVE).update(
                status=ExportJob.Status.FAILED,
                error=_("Something went wrong on our side."),
                finished=timezone.now(),
            )


def _build(job: ExportJob) -> None:
    running = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING)

    def renew_lease() -> None:
        if not running.update(heartbeat=timezone.now()):
            raise ExportAbandoned

    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
        write_user_archive(job.owner, out, renew_lease)
        size = out.tell()
        out.seek(0)
        done = running.update(
            status=ExportJob.Status.DONE, archive=out.read(), size=size, finished=timezone.now()
        )
    if not done:
        raise ExportAbandoned


def fail_abandoned_exports(
    jobs: QuerySet[ExportJob] | None = None, *, now: datetime | None = None
) -> int:
    """Fail the running exports whose lease ran out (their worker died).

    Run by every export task before its own work, by the export screen that shows such a job
    and by the hourly sweep. A worker that was only slow finds its job failed when it next
    renews the lease, and stores nothing.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.EXPORT_JOB_LEASE_SECONDS)
    jobs = ExportJob.objects.all() if jobs is None else jobs
    stale = jobs.filter(status=ExportJob.Status.RUNNING, heartbeat__lt=cutoff)
    count = 0
    fields = ("pk", "owner__language_code", "owner__interface_language", "task_id")
    for job in stale.select_related("owner").only(*fields):
        with transaction.atomic(), translation.override(job.owner.language):
            failed = ExportJob.objects.filter(
                pk=job.pk, status=ExportJob.Status.RUNNING, heartbeat__lt=cutoff
            ).update(
                status=ExportJob.Status.FAILED,
                error=_("The export stopped before it finished."),
                finished=now,
                archive=b"",
            )
            if failed:
                fail_task_result(job.task_id, now)
                count += 1
    return count


@task()
def sweep_export_jobs_task() -> dict[str, int]:
    """The hourly sweep (`manage.py run_periodic`): abandoned exports are failed, and finished
    ones (their zips) removed once EXPORT_KEPT_HOURS have passed."""
    failed = fail_abandoned_exports()
    cutoff = timezone.now() - kept()
    removed, _by_model = (
        ExportJob.objects.exclude(status__in=ExportJob.ACTIVE).filter(finished__lt=cutoff).delete()
    )
    return {"failed": failed, "removed": removed}
