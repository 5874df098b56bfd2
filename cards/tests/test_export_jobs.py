"""Export all my data as a background task: the job, its polling screen, its signed download,
its failures and the sweep that removes it."""

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cards.export_jobs import run_export, sweep_export_jobs_task
from cards.exporting import user_archive
from cards.models import Deck, ExportJob
from cards.tests.test_import_worker import start_worker
from conftest import auth_headers, htmx, make_card


@pytest.fixture
def deck(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish", directions=["recognition"])
    card = make_card(deck=deck, front="comer", back="to eat", tags="verb")
    make_card(deck=deck, front="=1+1", back="-formula")
    card.review(3, learner=alice, now=datetime(2025, 1, 1, tzinfo=UTC))
    return deck


@pytest.fixture
def queued_only(settings):
    """The database backend: an enqueued export waits for a worker that the test plays."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def link_on(content: bytes) -> str | None:
    found = re.search(r'href="([^"]*download=zip[^"]*)"', content.decode())
    return found[1].replace("&amp;", "&") if found else None


def members(data: bytes) -> dict[str, object]:
    """A zip's files, account.json read with its moment of export left out."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    files: dict[str, object] = {name: archive.read(name) for name in archive.namelist()}
    account = json.loads(files.pop("account.json"))
    account.pop("exported_at")
    return files | {"account.json": account}


def test_starting_an_export_creates_a_job_and_the_screen_polls_it(as_alice, deck, queued_only):
    response = as_alice.post("/settings/export/", **htmx(), follow=True)

    job = ExportJob.objects.get()
    assert job.owner == deck.owner
    assert job.status == ExportJob.Status.QUEUED
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.READY
    page = response.content.decode()
    assert f'hx-get="/settings/export/{job.pk}/"' in page
    assert 'hx-trigger="every 1s"' in page
    assert link_on(response.content) is None
    polled = as_alice.get(f"/settings/export/{job.pk}/", **htmx())
    assert 'hx-trigger="every 1s"' in polled.content.decode()
    assert b"<html" not in polled.content


def test_a_second_tap_while_it_is_prepared_starts_no_second_export(as_alice, deck, queued_only):
    as_alice.post("/settings/export/", **htmx())
    as_alice.post("/settings/export/", **htmx())

    assert ExportJob.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_the_polled_screen_offers_the_signed_download_once_the_worker_is_done(
    as_alice, deck, queued_only
):
    as_alice.post("/settings/export/", **htmx())
    job = ExportJob.objects.get()

    run_export(job.pk)  # what db_worker does with the task

    polled = as_alice.get(f"/settings/export/{job.pk}/", **htmx())
    assert b'hx-trigger="every 1s"' not in polled.content
    assert b'data-tg-download="phraseweaver-export.zip"' in polled.content
    link = link_on(polled.content)
    assert link.startswith(f"/settings/export/{job.pk}/?download=zip&token=")


def test_the_immediate_backend_finishes_it_and_the_screen_offers_the_signed_download(
    as_alice, deck
):
    response = as_alice.post("/settings/export/", **htmx(), follow=True)

    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE
    assert job.finished is not None
    assert job.size == len(job.archive) > 0
    assert b'hx-trigger="every 1s"' not in response.content
    assert b'data-tg-download="phraseweaver-export.zip"' in response.content
    assert link_on(response.content).startswith(f"/settings/export/{job.pk}/?download=zip&token=")


def test_the_download_is_the_zip_user_archive_builds(as_alice, alice, deck):
    link = link_on(as_alice.post("/settings/export/", **htmx(), follow=True).content)
    as_alice.defaults.pop("HTTP_AUTHORIZATION")

    response = as_alice.get(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert members(response.content) == members(user_archive(alice))
    assert b"comer" in members(response.content)["phrases.csv"]


def test_another_learner_can_neither_see_nor_download_my_export(as_alice, bob, deck):
    link = link_on(as_alice.post("/settings/export/", **htmx(), follow=True).content)
    job = ExportJob.objects.get()
    client = Client()  # bob's own, with nothing of alice's
    as_bob = {"HTTP_AUTHORIZATION": auth_headers(bob)["Authorization"]}

    for url in (f"/settings/export/{job.pk}/", f"/settings/export/{job.pk}/?download=zip"):
        response = client.get(url, **as_bob, **htmx())
        assert response.status_code == 404
        assert not response.content.startswith(b"PK")
    screen = client.get("/settings/export/", **as_bob, **htmx())
    assert link_on(screen.content) is None
    assert f"/settings/export/{job.pk}/".encode() not in screen.content
    # Bob's own link, signed for bob, does not open alice's export either.
    client.post("/settings/export/", **as_bob, **htmx())
    bobs = ExportJob.objects.get(owner=bob)
    bobs_link = link_on(client.get("/settings/export/", **as_bob, **htmx()).content)
    forged = bobs_link.replace(f"/settings/export/{bobs.pk}/", f"/settings/export/{job.pk}/")
    assert client.get(forged).status_code == 403
    assert link != bobs_link


def test_a_failed_export_says_why_and_offers_no_download(as_alice, deck):
    with patch("cards.export_jobs.write_user_archive", side_effect=RuntimeError("disk full")):
        response = as_alice.post("/settings/export/", **htmx(), follow=True)

    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED
    assert job.archive == b""
    assert b"Export failed" in response.content
    assert b"Something went wrong on our side." in response.content
    assert link_on(response.content) is None
    assert as_alice.get(f"/settings/export/{job.pk}/?download=zip").status_code == 404
    # It can be tried again.
    retried = as_alice.post("/settings/export/", **htmx(), follow=True)
    assert ExportJob.objects.get().status == ExportJob.Status.DONE
    assert link_on(retried.content) is not None


def test_a_failed_export_says_why_in_the_learners_language(as_alice, alice, deck):
    alice.interface_language = "ru"
    alice.save()
    with patch("cards.export_jobs.write_user_archive", side_effect=RuntimeError("disk full")):
        as_alice.post("/settings/export/", **htmx())

    assert ExportJob.objects.get().error == "Что-то пошло не так на нашей стороне."


def test_an_export_whose_worker_died_is_failed_by_the_screen_that_shows_it(as_alice, alice):
    long_ago = timezone.now() - timedelta(hours=1)
    job = ExportJob.objects.create(owner=alice, status=ExportJob.Status.RUNNING, heartbeat=long_ago)

    response = as_alice.get(f"/settings/export/{job.pk}/", **htmx())

    assert b'hx-trigger="every 1s"' not in response.content
    assert b"The export stopped before it finished." in response.content
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED


def test_a_worker_that_finds_its_export_failed_stores_nothing(alice, deck, queued_only):
    job = ExportJob.objects.create(owner=alice)

    def abandoned(*args: object) -> None:
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED)
        args[2]()  # the next renewal of the lease

    with patch("cards.export_jobs.write_user_archive", side_effect=abandoned):
        run_export(job.pk)

    job.refresh_from_db()
    assert (job.status, job.archive, job.error) == (ExportJob.Status.FAILED, b"", "")


def test_the_sweep_removes_expired_exports_and_fails_abandoned_ones(alice, bob):
    now = timezone.now()
    done = {"status": ExportJob.Status.DONE, "archive": b"PK"}
    expired = ExportJob.objects.create(owner=alice, finished=now - timedelta(hours=25), **done)
    fresh = ExportJob.objects.create(owner=bob, finished=now - timedelta(hours=1), **done)
    dead = ExportJob.objects.create(
        owner=alice, status=ExportJob.Status.RUNNING, heartbeat=now - timedelta(hours=1)
    )

    assert sweep_export_jobs_task.call() == {"failed": 1, "removed": 1}

    assert not ExportJob.objects.filter(pk=expired.pk).exists()
    assert ExportJob.objects.get(pk=fresh.pk).archive == b"PK"
    assert ExportJob.objects.get(pk=dead.pk).status == ExportJob.Status.FAILED


def test_an_expired_export_is_no_longer_offered(as_alice, alice):
    job = ExportJob.objects.create(
        owner=alice,
        status=ExportJob.Status.DONE,
        archive=b"PK",
        finished=timezone.now() - timedelta(hours=25),
    )

    screen = as_alice.get("/settings/export/", **htmx())

    assert link_on(screen.content) is None
    assert b"Prepare my data" in screen.content
    assert as_alice.get(f"/settings/export/{job.pk}/?download=zip").status_code == 404


def test_a_new_export_forgets_the_previous_one(as_alice, deck):
    as_alice.post("/settings/export/", **htmx())
    first = ExportJob.objects.get()

    as_alice.post("/settings/export/", **htmx())

    assert list(ExportJob.objects.values_list("pk", flat=True)) != [first.pk]
    assert ExportJob.objects.count() == 1


def test_the_screen_opened_directly_is_the_full_page_and_the_job_url_redirects_to_it(
    as_alice, deck
):
    as_alice.post("/settings/export/", **htmx())
    job = ExportJob.objects.get()

    assert b"<html" in as_alice.get("/settings/export/").content
    response = as_alice.get(f"/settings/export/{job.pk}/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/export/"


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_prepares_a_queued_export_and_it_downloads(
    as_alice, alice, deck, queued_only, tmp_path
):
    as_alice.post("/settings/export/", **htmx())
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.QUEUED  # the request only queued it

    worker = start_worker(tmp_path, "--batch")
    assert worker.wait(timeout=300) == 0, (tmp_path / "worker.log").read_text()

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.SUCCESSFUL
    link = link_on(as_alice.get("/settings/export/", **htmx()).content)
    as_alice.defaults.pop("HTTP_AUTHORIZATION")
    assert members(as_alice.get(link).content) == members(user_archive(alice))
