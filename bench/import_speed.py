"""Import speed and memory on PostgreSQL (not a timed test).

    python bench/import_speed.py [--notes 50000]

On the benchmark database (bench/common.py; DATABASE_URL to use another):

1. Text: 10,000 and 50,000 generated rows through read_source + deck_import, beside a plain
   bulk_create of the same cards in the same run.
2. An Anki package of `--notes` notes with four reviews each (200,000 for 50,000 notes) and
   `--media` of them with a picture or a sound of their own (200 by default), imported
   with "keep the review history" exactly as the worker runs an import (an ImportJob run by
   cards.importing.jobs.run_import: batches, lease, progress), beside a bare bulk_create of
   the same cards and review logs. This process is the one that parses the package: its
   peak RSS is sampled every 10 ms.

Prints each figure next to its target. Everything it creates belongs to a bench user that is
deleted at the end.
"""

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATABASE_URL, setup_django  # noqa: E402

MB = 1024 * 1024
TARGET_SECONDS = 60
TARGET_RATIO = 0.30
TARGET_RSS_MB = 250


class PeakRSS:
    """The process's resident set size, sampled in a thread while the block runs."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._running = False

    def __enter__(self) -> "PeakRSS":
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while self._running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join()
        self.end = self.process.memory_info().rss


def text_rows(count: int) -> bytes:
    return "".join(f"word {i}\tслово {i}\tan example {i}\n" for i in range(count)).encode()


def bench_text(owner, count: int) -> None:
    from cards.importing import ImportOptions, deck_import, read_source
    from cards.models import Deck, Direction, Phrase, bulk_add_phrases

    deck = Deck.objects.create(owner=owner, name=f"bench {count}")
    started = time.perf_counter()
    source = read_source(text_rows(count))
    options = ImportOptions(mapping={"front": 0, "back": 1, "example": 2})
    report = deck_import(deck=deck, source=source, options=options)
    imported = time.perf_counter() - started
    assert report.added == count, report

    plain = Deck.objects.create(owner=owner, name=f"plain {count}")
    started = time.perf_counter()
    bulk_add_phrases(
        [
            Phrase(owner=owner, deck=plain, front=f"word {i}", back=f"слово {i}", example="x")
            for i in range(count)
        ],
        [Direction.RECOGNITION],
    )
    bulk = time.perf_counter() - started
    print(
        f"text {count:>6} rows: import {imported:6.2f} s ({count / imported:7.0f} rows/s)"
        f"   bare bulk_create {bulk:6.2f} s ({count / bulk:7.0f} rows/s)"
        f"   import/bulk {bulk / imported:4.0%}"
    )


def bench_package(owner, notes: int, media_files: int) -> None:
    from anki_packages import history_package

    from cards.importing.jobs import run_import
    from cards.models import Deck, Direction, ImportJob, Phrase, ReviewLog, bulk_add_phrases

    package = history_package(notes, media_files=media_files)
    size = len(package)
    deck = Deck.objects.create(owner=owner, name="bench package")
    job = ImportJob.objects.create(
        owner=owner,
        deck=deck,
        upload=package,
        upload_name="bench.apkg",
        form_data={"keep_scheduling": "true"},
    )
    job.upload = package = b""  # the worker reads it from the database
    with PeakRSS() as rss:
        started = time.perf_counter()
        run_import(job.pk)
        imported = time.perf_counter() - started
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    reviews = job.report["reviews"]
    assert job.report["added"] == notes, job.report

    # The same rows, written as bare as Django writes them: no parsing, no scheduling.
    plain = Deck.objects.create(owner=owner, name="plain package")
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    cards = bulk_add_phrases(
        [
            Phrase(owner=owner, deck=plain, front=f"palabra {n}", back=f"word {n}")
            for n in range(notes)
        ],
        [Direction.RECOGNITION],
    )
    ReviewLog.objects.bulk_create(
        (
            ReviewLog(
                card=card,
                user=owner,
                rating=3,
                reviewed_at=moment + timedelta(days=day),
                duration_ms=5000,
                state_before=1,
                due_before=moment,
            )
            for card in cards
            for day in range(reviews // notes)
        ),
        batch_size=500,
    )
    bulk = time.perf_counter() - started
    ratio = bulk / imported
    with_media = sum(1 for phrase in deck.phrases.exclude(image="", audio="").only("id"))
    assert with_media == media_files, (with_media, job.report)
    print(
        f"package {notes} notes, {reviews} reviews, {media_files} media files"
        f" ({size / MB:.1f} MB), keep scheduling: {imported:.1f} s"
        f" (target < {TARGET_SECONDS} s: {'met' if imported < TARGET_SECONDS else 'NOT met'})"
    )
    print(
        f"  bare bulk_create of the same rows: {bulk:.1f} s; import at {ratio:.0%} of it"
        f" (target >= {TARGET_RATIO:.0%}: {'met' if ratio >= TARGET_RATIO else 'NOT met'})"
    )
    peak = rss.peak / MB
    print(
        f"  parsing process RSS: {rss.start / MB:.0f} MB before, peak {peak:.0f} MB,"
        f" {rss.end / MB:.0f} MB after (target peak < {TARGET_RSS_MB} MB:"
        f" {'met' if peak < TARGET_RSS_MB else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=50_000)
    parser.add_argument("--media", type=int, default=200, help="pictures and sounds in it")
    parser.add_argument("--skip-text", action="store_true")
    arguments = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), TASKS_BACKEND="database")
    from django.conf import settings
    from django.db import connection

    from accounts.models import User

    print(f"database: {connection.vendor}, cores: {os.cpu_count()}")
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, arguments.notes)
    User.objects.filter(username="bench-import").delete()
    owner = User.objects.create(username="bench-import", telegram_id=9_999_999_001)
    try:
        if not arguments.skip_text:
            for count in (10_000, 50_000):
                bench_text(owner, count)
        bench_package(owner, arguments.notes, arguments.media)
    finally:
        owner.delete()


if __name__ == "__main__":
    main()
