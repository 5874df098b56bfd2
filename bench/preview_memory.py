"""Memory of eight concurrent previews of a zstd bomb (not a timed test).

    python bench/preview_memory.py [--previews 8] [--rounds 3] [--unpacked-mb 190]

A few-KB `.apkg` whose zstd-compressed collection unpacks to 190 MB (a valid collection
padded with zeros: the allowance is 20 x IMPORT_MAX_BYTES = 200 MB, so it is unpacked in full
and read) is posted to the import preview by eight threads at once, through the real view and
middleware, in this one process, as the threads of a gunicorn worker would. Its RSS is sampled
every 10 ms. Targets: the process stays under 250 MB, and returns within 50 MB of its start
size afterwards. Uses the benchmark database (bench/common.py).
"""

import argparse
import gc
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_BOT_TOKEN, DEFAULT_DATABASE_URL, setup_django  # noqa: E402
from import_speed import MB, PeakRSS  # noqa: E402

TARGET_PEAK_MB = 250
TARGET_RETURN_MB = 50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--previews", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--unpacked-mb", type=int, default=190)
    arguments = parser.parse_args()
    setup_django(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    from anki_packages import bomb_package
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import Client

    from accounts import initdata
    from accounts.models import User
    from cards.models import Deck

    bomb = bomb_package(arguments.unpacked_mb * 1_000_000)
    print(
        f"database: {connection.vendor}; the bomb: {len(bomb) / 1000:.1f} KB,"
        f" unpacking to {arguments.unpacked_mb} MB; {arguments.previews} previews at once"
    )
    User.objects.filter(username="bench-preview").delete()
    owner = User.objects.create(username="bench-preview", telegram_id=9_999_999_002)
    deck = Deck.objects.create(owner=owner, name="bench preview")
    signed = initdata.sign_user({"id": owner.telegram_id, "first_name": "Bench"}, BENCH_BOT_TOKEN)
    headers = {
        "HTTP_AUTHORIZATION": f"tma {signed}",
        "HTTP_HX_REQUEST": "true",
        "HTTP_HOST": "localhost",
    }
    url = f"/decks/{deck.pk}/import/preview/"
    answers: list[str] = []

    def preview(barrier: threading.Barrier) -> None:
        barrier.wait()
        response = Client().post(url, {"file": SimpleUploadedFile("b.apkg", bomb)}, **headers)
        body = response.content.decode()
        answers.append("ok" if response.status_code == 200 and "1 row" in body else body[:300])
        connection.close()

    try:
        gc.collect()
        for round_ in range(1, arguments.rounds + 1):
            barrier = threading.Barrier(arguments.previews)
            threads = [
                threading.Thread(target=preview, args=(barrier,)) for _ in range(arguments.previews)
            ]
            with PeakRSS() as rss:
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                gc.collect()
            peak, start, end = rss.peak / MB, rss.start / MB, rss.end / MB
            print(
                f"round {round_}: RSS {start:.0f} MB before, peak {peak:.0f} MB"
                f" (target < {TARGET_PEAK_MB}: {'met' if peak < TARGET_PEAK_MB else 'NOT met'}),"
                f" {end:.0f} MB after: {end - start:+.0f} MB (target within"
                f" {TARGET_RETURN_MB}: {'met' if end - start <= TARGET_RETURN_MB else 'NOT met'})"
            )
        assert answers == ["ok"] * len(answers), answers[0]
        print(f"all {len(answers)} previews answered 200 with the collection's one row")
    finally:
        owner.delete()


if __name__ == "__main__":
    main()
