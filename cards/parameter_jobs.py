"""Fitting a learner's FSRS parameters as a background task (Django's Tasks framework).

A fit is a ParameterFit row: the Settings screen's button (or the periodic check, or
`manage.py fit_parameters`) creates it and enqueues `fit_task` in the same transaction; the
worker fits (cards.parameters), records the figures and adopts the parameters when they
predict the held-out reviews better. The hourly `run_periodic` enqueues `refit_due_task`,
which starts a fit for every learner whose last one is a month old, or who has made
REFIT_REVIEWS reviews since (the first: once they have MIN_REVIEWS reviews at all).
compute_parameters cannot report progress or renew a lease while it runs, so the lease is
the fit's start: one still running FIT_LEASE after it started was left by a dead worker.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User
from cards import parameters
from cards.models import ParameterFit, ReviewLog
from phraseweaver.tasks import claim_job, fail_task_result, start_job

logger = logging.getLogger(__name__)
# A fit of 100,000 reviews takes seconds: an hour means the worker died.
FIT_LEASE = timedelta(hours=1)
REFIT_AFTER = timedelta(days=30)
REFIT_REVIEWS = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def latest_fit(user: User) -> ParameterFit | None:
    return ParameterFit.objects.filter(owner=user).order_by("-created").first()


def start_fit(user: User) -> ParameterFit:
    """The learner's running fit, or a new one enqueued."""
    return start_job(ParameterFit, fit_task, owner=user)


def use_defaults(user: User) -> None:
    """Back to FSRS's default parameters (the history stays)."""
    User.objects.filter(pk=user.pk).update(fsrs_parameters=[])
    user.fsrs_parameters = []


@task()
def fit_task(fit_id: int) -> None:
    run_fit(fit_id)


def run_fit(fit_id: int) -> None:
    """Run one queued fit: done with its figures (and adopted when better), or failed."""
    fail_abandoned_fits()
    if not claim_job(ParameterFit, fit_id, started=timezone.now()):
        return  # already run, or failed before it started
    job = ParameterFit.objects.select_related("owner").get(pk=fit_id)
    with translation.override(job.owner.language):
        try:
            found = parameters.fit(job.owner)
        except Exception:
            logger.exception("Parameter fit %s failed", job.pk)
            ParameterFit.objects.filter(pk=job.pk, status=ParameterFit.Status.RUNNING).update(
                status=ParameterFit.Status.FAILED,
                error=_("Something went wrong on our side."),
                finished=timezone.now(),
            )
            return
    _record(job, found)


def _record(job: ParameterFit, found: parameters.Fit) -> None:
    with transaction.atomic():
        done = ParameterFit.objects.filter(pk=job.pk, status=ParameterFit.Status.RUNNING).update(
            status=ParameterFit.Status.DONE,
            finished=timezone.now(),
            reviews=found.reviews,
            parameters=found.parameters,
            log_loss=found.log_loss,
            rmse=found.rmse,
            current_log_loss=found.current_log_loss,
            current_rmse=found.current_rmse,
            adopted=found.better,
        )
        if done and found.better:
            User.objects.filter(pk=job.owner_id).update(fsrs_parameters=found.parameters)


def fail_abandoned_fits(
    fits: QuerySet[ParameterFit] | None = None, *, now: datetime | None = None
) -> int:
    """Fail the running fits whose worker died (run before every fit and by the hourly check)."""
    now = now or timezone.now()
    fits = ParameterFit.objects.all() if fits is None else fits
    stale = fits.filter(status=ParameterFit.Status.RUNNING, started__lt=now - FIT_LEASE)
    count = 0
    fields = ("pk", "owner__language_code", "owner__interface_language", "task_id")
    for job in stale.select_related("owner").only(*fields):
        with transaction.atomic(), translation.override(job.owner.language):
            failed = ParameterFit.objects.filter(
                pk=job.pk, status=ParameterFit.Status.RUNNING
            ).update(
                status=ParameterFit.Status.FAILED,
                error=_("The computation stopped before it finished."),
                finished=now,
            )
            if failed:
                fail_task_result(job.task_id, now)
                count += 1
    return count


def learners_due(now: datetime) -> list[User]:
    """Learners whose parameters are due a refit: the last fit a month old (and a review
    since), or REFIT_REVIEWS reviews since it, or none yet and MIN_REVIEWS reviews."""
    last = ParameterFit.objects.filter(owner=OuterRef("pk")).order_by("-created")
    since = Coalesce(Subquery(last.values("created")[:1]), Value(EPOCH))
    reviewed = User.objects.annotate(last_fit=since).filter(
        Exists(ReviewLog.objects.filter(user=OuterRef("pk"), reviewed_at__gt=OuterRef("last_fit")))
    )
    due: list[User] = []
    for user in reviewed.exclude(Exists(last.filter(status__in=ParameterFit.ACTIVE))):
        if user.last_fit != EPOCH and user.last_fit < now - REFIT_AFTER:
            due.append(user)
            continue
        needed = parameters.MIN_REVIEWS if user.last_fit == EPOCH else REFIT_REVIEWS
        # Counting stops at what is needed: a learner's 100,000 logs are not counted hourly.
        new = ReviewLog.objects.filter(user=user, reviewed_at__gt=user.last_fit)
        if new.values("pk")[:needed].count() >= needed:
            due.append(user)
    return due


@task()
def refit_due_task() -> dict[str, int]:
    """The hourly check (`manage.py run_periodic`): abandoned fits failed, due fits started."""
    failed = fail_abandoned_fits()
    started = 0
    for user in learners_due(timezone.now()):
        start_fit(user)
        started += 1
    return {"failed": failed, "started": started}
