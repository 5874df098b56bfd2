"""Imports run in the background: a progress bar that polls, a report that waits for the
learner, a failure that says why and has imported nothing, a dead worker's job undone.

These run the task where it is enqueued (the immediate backend); test_import_worker.py runs the
real database backend with a real db_worker process.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cards.importing import ImportOptions, jobs, read_source, service
from cards.models import Card, Deck, ImportJob, ReviewLog
from cards.scheduling import Rating
from conftest import htmx, make_card


def rows(count: int) -> bytes:
    return "".join(f"word {i}\tслово {i}\n" for i in range(count)).encode()


def post_import(client, deck, content: bytes, **fields):
    data = {"file": SimpleUploadedFile("words.txt", content), **fields}
    return client.post(f"/decks/{deck.pk}/import/", data, follow=True, **htmx())


def running_job(deck, **fields) -> ImportJob:
    fields = {"status": ImportJob.Status.RUNNING, "heartbeat": timezone.now(), **fields}
    return ImportJob.objects.create(owner=deck.owner, deck=deck, **fields)


def test_a_running_import_shows_a_progress_bar_that_polls_itself(as_alice, deck):
    job = running_job(deck, done=1000, total=4000)

    page = as_alice.get(f"/decks/{deck.pk}/import/", **htmx()).content.decode()
    part = as_alice.get(job.get_absolute_url(), **htmx()).content.decode()

    for body in (page, part):
        assert '<progress class="import-progress" max="100" value="25">' in body
        assert 'hx-trigger="every 1s"' in body
        assert f'hx-get="/decks/{deck.pk}/import/jobs/{job.pk}/"' in body
        assert "1000 of 4000 rows" in body
    assert 'id="import-form"' not in page


def test_a_finished_import_stops_polling_and_its_report_waits_for_the_learner(as_alice, deck):
    response = post_import(as_alice, deck, rows(3))
    assert "3 cards added" in response.content.decode()
    job = ImportJob.objects.get()

    # The learner left and comes back: the report is still there, and nothing polls.
    for url in (f"/decks/{deck.pk}/import/", job.get_absolute_url()):
        body = as_alice.get(url, **htmx()).content.decode()
        assert "3 cards added" in body
        assert "hx-trigger" not in body
    assert job.upload == b""  # the file is not kept once read

    # Import more: the report is put away and the form is back.
    body = as_alice.post(job.get_absolute_url(), follow=True, **htmx()).content.decode()
    assert 'id="import-form"' in body
    assert (
        "3 cards added" not in as_alice.get(f"/decks/{deck.pk}/import/", **htmx()).content.decode()
    )


def test_a_job_page_without_htmx_goes_to_the_import_screen(as_alice, deck):
    job = running_job(deck)
    response = as_alice.get(job.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"/decks/{deck.pk}/import/"


def test_a_refused_file_fails_the_job_with_the_reason(as_alice, deck, settings):
    settings.IMPORT_MAX_ROWS = 2
    body = post_import(as_alice, deck, rows(3)).content.decode()
    assert "Import failed" in body
    assert "more than 2 rows" in body
    assert "Nothing was imported." in body
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED


def test_an_import_that_fails_after_committed_batches_removes_what_it_added(
    as_alice, deck, monkeypatch
):
    make_card(deck=deck, front="kept", back="already here")
    real = service._import_rows
    calls = []

    def fail_on_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "_import_rows", fail_on_the_third_batch)
    body = post_import(as_alice, deck, rows(2500)).content.decode()

    assert len(calls) == 3
    assert "Import failed" in body
    assert "Something went wrong on our side." in body
    assert list(deck.phrases.values_list("front", flat=True)) == ["kept"]


def test_the_report_speaks_the_learners_language(client, make_user):
    from conftest import auth_headers

    ivan = make_user(333, "Иван", language_code="ru")
    deck = Deck.objects.create(owner=ivan, name="Слова")
    client.defaults["HTTP_AUTHORIZATION"] = auth_headers(ivan)["Authorization"]
    body = post_import(client, deck, b"a\t\nb\tc\n").content.decode()
    assert "1 карточка добавлена" in body
    assert "пуст" in body  # the skipped line's reason, written by the task


def test_the_report_speaks_the_interface_language_chosen_in_the_settings(client, make_user):
    from conftest import auth_headers

    # Telegram in English, PhraseWeaver set to Russian: the worker writes the report in Russian.
    olga = make_user(334, "Olga", language_code="en", interface_language="ru")
    deck = Deck.objects.create(owner=olga, name="Слова")
    client.defaults["HTTP_AUTHORIZATION"] = auth_headers(olga)["Authorization"]
    body = post_import(client, deck, b"a\t\nb\tc\n").content.decode()
    assert "пуст" in body  # the skipped line's reason, written by the task


def test_an_abandoned_job_is_failed_and_what_it_wrote_undone(alice, deck, settings):
    job = running_job(deck, done=1000, total=3000)
    made = Deck.objects.create(owner=alice, name="Spanish::Food")
    ImportJob.objects.filter(pk=job.pk).update(created_decks=[made.pk])
    card = make_card(deck=deck, front="uno", back="one", import_job=job)
    card.review(Rating.GOOD, learner=alice)
    make_card(deck=deck, front="mine", back="added by hand")

    lease = timedelta(seconds=settings.IMPORT_JOB_LEASE_SECONDS)
    assert jobs.fail_abandoned_jobs(now=timezone.now() + lease / 2) == 0
    assert jobs.fail_abandoned_jobs(now=timezone.now() + lease * 2) == 1

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "The import stopped before it finished."
    assert list(Card.objects.values_list("phrase__front", flat=True)) == ["mine"]
    assert not ReviewLog.objects.exists()
    assert not Deck.objects.filter(pk=made.pk).exists()


def test_the_import_screen_fails_a_job_whose_worker_died(as_alice, deck, settings):
    settings.IMPORT_JOB_LEASE_SECONDS = 60
    job = running_job(deck, heartbeat=timezone.now() - timedelta(minutes=5))
    make_card(deck=deck, front="uno", back="one", import_job=job)

    body = as_alice.get(job.get_absolute_url(), **htmx()).content.decode()

    assert "Import failed" in body
    assert "hx-trigger" not in body
    assert not deck.cards.exists()


def test_a_worker_whose_job_was_failed_meanwhile_writes_nothing_more(alice, deck):
    # The job's lease ran out and someone failed it while its worker was only slow.
    job = running_job(deck, status=ImportJob.Status.FAILED)
    source = read_source(rows(10))

    with pytest.raises(service.JobAbandoned):
        service.deck_import(deck=deck, source=source, options=ImportOptions(), job=job)

    assert not deck.cards.exists()


@pytest.mark.parametrize("status", [ImportJob.Status.DONE, ImportJob.Status.RUNNING])
def test_a_job_is_run_once(alice, deck, status):
    job = ImportJob.objects.create(owner=alice, deck=deck, status=status, upload=rows(2))
    jobs.run_import(job.pk)
    assert not deck.cards.exists()


def test_the_report_keeps_the_first_500_skipped_lines_and_counts_them_all(as_alice, deck):
    content = "".join(f"word {i}\t\n" for i in range(600)).encode() + b"uno\tone\n"
    body = post_import(as_alice, deck, content).content.decode()

    report = ImportJob.objects.get().report
    assert (report["added"], report["skipped_count"], len(report["skipped"])) == (1, 600, 500)
    assert "600 lines skipped" in body
    assert "Line 500: the back is empty" in body
    assert "Line 501:" not in body
    assert "Only the first 500 skipped lines are listed." in body
