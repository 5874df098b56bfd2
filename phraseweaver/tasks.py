"""What every app's background tasks share (Django's Tasks framework, django-tasks-db's queue)."""

import uuid
from datetime import datetime

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult


def fail_task_result(task_id: str, now: datetime) -> None:
    """Mark the queue's record of a task whose worker died as failed: the database backend's
    record says RUNNING forever otherwise (the framework has no lease of its own)."""
    try:
        uuid.UUID(task_id)
    except ValueError:
        return  # not the database backend's (the immediate backend in tests)
    running = DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING)
    running.update(status=TaskResultStatus.FAILED, finished_at=now)
