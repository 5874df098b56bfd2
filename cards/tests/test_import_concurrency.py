"""Two imports of the same file into one deck at the same moment add each front once.

Real concurrency: each import runs in its own thread with its own database connection, both
released together by a barrier. Imports into a deck take turns on the deck's row lock, and each
batch reads the fronts already in the deck under that lock, so whichever order the batches
come in, the second import finds what the first added. No sleeps: the outcome does not depend
on timing.
"""

import pytest

from cards.importing import ImportOptions, deck_import, jobs, read_source
from cards.models import Deck, ImportJob, Phrase
from cards.tests.threads import race

pytestmark = pytest.mark.django_db(transaction=True)
FRONTS = 3000


def words() -> bytes:
    return "".join(f"word {i}\tслово {i}\n" for i in range(FRONTS)).encode()


def test_two_background_imports_of_one_file_into_one_deck_add_each_front_once(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    both = [
        ImportJob.objects.create(owner=alice, deck=deck, upload=words(), upload_name="w.txt")
        for _ in range(2)
    ]

    results = race(*(lambda job=job: jobs.run_import(job.pk) for job in both))

    assert results == [None, None]  # both ran to their end, neither raised
    assert Phrase.objects.filter(deck=deck).count() == FRONTS
    reports = [job.report for job in ImportJob.objects.order_by("pk")]
    assert sum(report["added"] for report in reports) == FRONTS
    assert sum(report["skipped_count"] for report in reports) == FRONTS


def test_two_imports_in_one_transaction_each_add_each_front_once(alice):
    deck = Deck.objects.create(owner=alice, name="Spanish")

    def run():
        deck_import(deck=deck, source=read_source(words()), options=ImportOptions())

    results = race(run, run)

    assert results == [None, None]
    assert Phrase.objects.filter(deck=deck).count() == FRONTS
