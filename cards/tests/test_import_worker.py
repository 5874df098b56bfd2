"""The real thing: imports queued in the database and run by a `manage.py db_worker` process.

A worker killed with SIGKILL in the middle of an import leaves its job RUNNING with the batches
it had committed; the lease check finds it, fails it and removes what it added.
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cards.importing.jobs import fail_abandoned_jobs
from cards.models import ImportJob, Phrase
from conftest import htmx, make_card

pytestmark = pytest.mark.django_db(transaction=True)
BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def database_url() -> str:
    """The test database, for a process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(tmp_path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "TASKS_BACKEND": "database"}
    log = (tmp_path / "worker.log").open("w")
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval=0.1"]
    return subprocess.Popen(
        [*command, *args], cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for(condition, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def post_import(client, deck, count: int) -> ImportJob:
    content = "".join(f"word {i}\tслово {i}\n" for i in range(count)).encode()
    data = {"file": SimpleUploadedFile("words.txt", content)}
    response = client.post(f"/decks/{deck.pk}/import/", data, **htmx())
    assert response.status_code == 302
    return ImportJob.objects.get()


def test_a_worker_process_runs_a_queued_import_to_its_report(
    as_alice, deck, database_tasks, tmp_path
):
    job = post_import(as_alice, deck, 2500)
    assert job.status == ImportJob.Status.QUEUED
    assert not deck.cards.exists()  # the request only queued it

    worker = start_worker(tmp_path, "--batch")
    assert worker.wait(timeout=300) == 0, (tmp_path / "worker.log").read_text()

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.done, job.total, job.report["added"]) == (2500, 2500, 2500)
    assert deck.cards.count() == 2500
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.SUCCESSFUL
    body = as_alice.get(f"/decks/{deck.pk}/import/", **htmx()).content.decode()
    assert "2500 cards added" in body


def test_a_job_left_running_by_a_killed_worker_is_failed_and_undone(
    as_alice, deck, database_tasks, tmp_path
):
    make_card(deck=deck, front="mine", back="added by hand")
    job = post_import(as_alice, deck, django_settings.IMPORT_MAX_ROWS)
    worker = start_worker(tmp_path)
    try:
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).done >= 1000, "the first committed batch")
    finally:
        worker.kill()  # SIGKILL: no handler runs, the open batch is never committed
        worker.wait(timeout=60)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert Phrase.objects.filter(import_job=job).exists()

    lease = timedelta(seconds=django_settings.IMPORT_JOB_LEASE_SECONDS)
    assert fail_abandoned_jobs(now=timezone.now() + lease * 2) == 1

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert list(deck.phrases.values_list("front", flat=True)) == ["mine"]
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.FAILED
    body = as_alice.get(f"/decks/{deck.pk}/import/", **htmx()).content.decode()
    assert "Import failed" in body
    assert "Nothing was imported." in body
