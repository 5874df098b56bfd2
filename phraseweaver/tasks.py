"""What every app's background tasks share (Django's Tasks framework, django-tasks-db's queue).

A job is a row that a screen polls (ImportJob, ExportJob, ParameterFit, RetentionSimulation):
its `status` goes queued → running → done or failed, and `task_id` names its task in the queue.
The request creates the row and enqueues its task in one transaction (the database backend
writes the task there too: no job without its task); the worker claims the row before working.
"""

import uuid
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

QUEUED, RUNNING = "queued", "running"
ACTIVE = (QUEUED, RUNNING)

Job = TypeVar("Job", bound=models.Model)


def enqueue_job(job: models.Model, task: Task[[int], Any]) -> None:
    """Enqueue `task` for a job just created, inside the caller's transaction, and record its id."""
    result = task.enqueue(job.pk)
    type(job)._default_manager.filter(pk=job.pk).update(task_id=str(result.id))


def start_job(
    model: type[Job], task: Task[[int], Any], *, owner: models.Model, **fields: Any
) -> Job:
    """The owner's queued or running job of `model`, or a new one (with `fields`) enqueued."""
    with transaction.atomic():
        # The owner's row serialises two taps on the button: one job at a time.
        type(owner)._default_manager.select_for_update().filter(pk=owner.pk).first()
        running = model._default_manager.filter(owner=owner, status__in=ACTIVE).first()
        if running is not None:
            return running
        job = model._default_manager.create(owner=owner, **fields)
        enqueue_job(job, task)
    return job


def claim_job(model: type[models.Model], job_id: int, **fields: Any) -> bool:
    """Mark a queued job running (with `fields`, its lease): False when it was already run, or
    failed before it started, so that a task delivered twice works once."""
    queued = model._default_manager.filter(pk=job_id, status=QUEUED)
    return bool(queued.update(status=RUNNING, **fields))


def fail_task_result(task_id: str, now: datetime) -> None:
    """Mark the queue's record of a task whose worker died as failed: the database backend's
    record says RUNNING forever otherwise (the framework has no lease of its own)."""
    try:
        uuid.UUID(task_id)
    except ValueError:
        return  # not the database backend's (the immediate backend in tests)
    running = DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING)
    running.update(status=TaskResultStatus.FAILED, finished_at=now)
