"""Import speed on the configured database (not a timed test).

    DATABASE_URL=postgres://... python bench/import_speed.py

Imports 10,000 and 50,000 generated rows through read_source + deck_import and, in the same run,
a plain bulk_create of the same cards, and prints rows per second for both. Everything happens
in a transaction that is rolled back: the database is left as it was.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phraseweaver.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from cards.importing import ImportOptions, deck_import, read_source  # noqa: E402
from cards.models import Card, Deck  # noqa: E402


class Rollback(Exception):
    pass


def rows(count: int) -> bytes:
    return "".join(f"word {i}\tслово {i}\tan example {i}\n" for i in range(count)).encode()


def run(count: int, owner) -> None:
    data = rows(count)
    deck = Deck.objects.create(owner=owner, name=f"bench {count}")
    started = time.perf_counter()
    source = read_source(data)
    options = ImportOptions(mapping={"front": 0, "back": 1, "example": 2})
    report = deck_import(deck=deck, source=source, options=options)
    imported = time.perf_counter() - started
    assert report.added == count, report

    plain = Deck.objects.create(owner=owner, name=f"plain {count}")
    started = time.perf_counter()
    Card.objects.bulk_create(
        (
            Card(owner=owner, deck=plain, front=f"word {i}", back=f"слово {i}", example="x")
            for i in range(count)
        ),
        batch_size=500,
    )
    bulk = time.perf_counter() - started
    print(
        f"{count:>6} rows: import {imported:6.2f} s ({count / imported:8.0f} rows/s)"
        f"   plain bulk_create {bulk:6.2f} s ({count / bulk:8.0f} rows/s)"
    )


def main() -> None:
    print(f"database: {connection.vendor}")
    settings.IMPORT_MAX_BYTES = max(settings.IMPORT_MAX_BYTES, 10_000_000)
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, 50_000)
    try:
        with transaction.atomic():
            owner = User.objects.create(username="bench-import", telegram_id=9_999_999_001)
            for count in (10_000, 50_000):
                run(count, owner)
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
