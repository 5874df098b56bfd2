"""Review loop under load, beside the floor, on one gunicorn with production settings.

Seeds learners with due cards in a database of its own, starts gunicorn on loopback (the repo's
gunicorn.conf.py when there is one, else gthread, 2 workers x 4 threads), and drives virtual
learners with locust (bench/locustfile.py) through the Mini App's real requests: open the review,
show the answer, grade, next card; each with its own signed initData. The same learners then ask
for GET /bench/floor/, a constant behind the same middleware. Then, on a fresh server, the
resident memory of each worker after 5,000 and 10,000 review-loop requests.

    python bench/review_load.py [--requests 3000] [--levels 1,8,32] [--memory-requests 10000]
                                [--database-url postgres://postgres@127.0.0.1:5432/pw_bench]
                                [--no-backlog]

Targets: review-loop throughput >= 50 % of the floor's, no errors, <= 6 SQL queries per grade,
worker RSS < 150 MB without growth between 5,000 and 10,000 requests; one learner's review
request (answer + grade, in this process) as fast with 10,000 due cards as with 100.
"""

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import (
    ANSWER_URL,
    BENCH_BOT_TOKEN,
    GRADE_URL,
    ROOT,
    VERSION,
    found,
    setup_django,
)

BIN = Path(sys.executable).parent
DUE_CARDS = 100  # per learner: a heavy day; a learner who finishes hands over to the next one
LATER_CARDS = 100  # not due yet: every learner's queue query sorts past them, as in real life

# A phrase a card (recognition only): the phrase's front says its number, which the card's
# schedule reads.
SEED_PHRASES = """
INSERT INTO cards_phrase (owner_id, deck_id, front, back, example, notes, tags, created,
                          updated, search_text, image, image_side, audio)
SELECT d.owner_id, d.id, 'front ' || g, 'back ' || g, 'an example sentence', '', '',
       now() - interval '40 days', now() - interval '40 days',
       -- cards.search.search_text of these fields (plain lowercase ASCII, no tags)
       'front ' || g || E'\nback ' || g || E'\nan example sentence\n\n\t\t',
       '', 'front', ''
FROM cards_deck d CROSS JOIN generate_series(1, %(cards)s) AS g
"""
SEED_CARDS = """
INSERT INTO cards_card (owner_id, deck_id, phrase_id, direction, suspended, created, updated,
                        state, step, stability, difficulty, due, last_review, version, lapses)
SELECT p.owner_id, p.deck_id, p.id, 'recognition', false,
       now() - interval '40 days', now() - interval '40 days', 2, NULL,
       3 + random() * 20, 2 + random() * 6,
       CASE WHEN substr(p.front, 7)::int <= %(due)s THEN now() - random() * interval '3 days'
            ELSE now() + (1 + random() * 60) * interval '1 day' END,
       now() - interval '12 days', 3, 0
FROM cards_phrase p
"""


def learners_for(users: int, requests: int) -> int:
    """Enough learners that none runs out of due cards: a grade is every other request."""
    return users + requests // (2 * DUE_CARDS) + 1


def seed(learners: int, due_per_learner: int = DUE_CARDS) -> list[str]:
    """Fresh learners with one deck of due cards each; their signed initData."""
    from django.db import connection, transaction

    from accounts import initdata
    from accounts.models import User
    from cards.models import Deck

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, cards_deck, cards_phrase, cards_card, cards_reviewlog "
            "RESTART IDENTITY CASCADE"
        )
        users = User.objects.bulk_create(
            User(
                telegram_id=20_000_000 + i,
                username=f"tg{20_000_000 + i}",
                first_name=f"Learner {i}",
                language_code="en",
                new_cards_per_day=9999,
                reviews_per_day=99999,
            )
            for i in range(learners)
        )
        Deck.objects.bulk_create(
            Deck(owner=user, name="Phrases", new_cards_per_day=20, reviews_per_day=200)
            for user in users
        )
        cursor.execute(SEED_PHRASES, {"cards": due_per_learner + LATER_CARDS})
        cursor.execute(SEED_CARDS, {"due": due_per_learner})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    profile = {"last_name": "", "username": "", "language_code": "en"}
    return [
        initdata.sign_user(
            {"id": u.telegram_id, "first_name": u.first_name, **profile}, BENCH_BOT_TOKEN
        )
        for u in users
    ]


def queries_per_grade(init_data: str) -> list[str]:
    """SQL queries of one grade request, counted in this process on the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"tma {init_data}", HTTP_HX_REQUEST="true"
    )
    front = client.get("/review/", HTTP_HX_TARGET="app").content.decode()
    answer = client.get(found(ANSWER_URL, front), HTTP_HX_TARGET="review-card").content.decode()
    form = {"rating": "3", "version": found(VERSION, answer), "duration_ms": "4000"}
    with CaptureQueriesContext(connection) as queries:
        response = client.post(found(GRADE_URL, answer), form, HTTP_HX_TARGET="app")
    assert response.status_code == 200, response.status_code
    return [query["sql"] for query in queries.captured_queries]


def review_request_ms(init_data: str, rounds: int) -> float:
    """In this process: the median time of one review request (show answer + grade)."""
    import statistics

    from django.test import Client

    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"tma {init_data}", HTTP_HX_REQUEST="true"
    )
    front = client.get("/review/", HTTP_HX_TARGET="app").content.decode()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(found(ANSWER_URL, front), HTTP_HX_TARGET="review-card")
        form = {"rating": "3", "version": found(VERSION, answer.content.decode())}
        grade_url = found(GRADE_URL, answer.content.decode())
        front = client.post(grade_url, form, HTTP_HX_TARGET="app").content.decode()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def backlog(rounds: int = 50) -> bool:
    """A learner's own backlog: answer + grade with 100 and with 10,000 due cards (fewer
    rounds than 100, or the first learner would finish)."""
    print("\nOne learner's backlog, in process (median ms per answer + grade):")
    figures = {}
    for due in (100, 10_000):
        figures[due] = review_request_ms(seed(1, due)[0], rounds)
        print(f"    {due:>6} due cards: {figures[due]:.1f} ms")
    ratio = figures[10_000] / figures[100]
    print(f"    10,000 against 100: x{ratio:.2f} (target: as fast, within x1.1)")
    return ratio <= 1.1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    conf = ROOT / "gunicorn.conf.py"
    if conf.exists():
        args = ["-c", str(conf)]
    else:
        args = ["--worker-class", "gthread", "--workers", "2", "--threads", "4", "--timeout", "30"]
        args += ["--worker-tmp-dir", "/dev/shm"]
    # No worker recycling during a benchmark: the memory figures follow one worker's life.
    args += ["--bind", f"127.0.0.1:{port}", "--max-requests", "0"]
    server = subprocess.Popen(
        [BIN / "gunicorn", *args, "phraseweaver.wsgi"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer on port {port}; see {log}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def run_locust(
    mode: str,
    users: int,
    requests: int,
    port: int,
    init_data: list[str],
    *,
    run_time: str = "15m",
    extra_env: dict | None = None,
) -> dict:
    """Drive `users` virtual learners until `requests` requests or `run_time`; the figures."""
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        auth = Path(tmp, "init_data.json")
        auth.write_text(json.dumps(init_data))
        report = Path(tmp, "stats.json")
        subprocess.run(
            [
                *(BIN / "locust", "-f", ROOT / "bench" / "locustfile.py", "--headless"),
                *("-u", str(users), "-r", str(users), "--host", f"http://127.0.0.1:{port}"),
                *("--only-summary", "--json-file", str(report.with_suffix(""))),
                *("--csv", str(Path(tmp, "locust"))),  # for locust_failures.csv
                *("--run-time", run_time, "--stop-timeout", "10", "--loglevel", "ERROR"),
            ],
            env={
                **os.environ,
                "BENCH_MODE": mode,
                "BENCH_REQUESTS": str(requests),
                "BENCH_INIT_DATA": str(auth),
                **(extra_env or {}),
            },
            cwd=ROOT,
            check=False,  # locust exits 1 when any request failed: the figures say how many
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        written = report if report.exists() else report.with_suffix("")
        entries = json.loads(written.read_text())
        with open(Path(tmp, "locust_failures.csv"), newline="") as failures:
            reasons = {
                f"{row['Name']}: {row['Error']}": int(row["Occurrences"])
                for row in csv.DictReader(failures)
            }
    return {**summarise(entries), "failures": reasons}


def summarise(entries: list[dict]) -> dict:
    """Totals over locust's per-request-name entries; percentiles from its histograms."""
    times: dict[int, int] = {}
    for entry in entries:
        for ms, count in entry["response_times"].items():
            times[int(float(ms))] = times.get(int(float(ms)), 0) + count
    requests = sum(e["num_requests"] for e in entries)
    started = min(e["start_time"] for e in entries)
    ended = max(e["last_request_timestamp"] for e in entries)
    ordered = sorted(times.items())

    def percentile(fraction: float) -> float:
        wanted, seen = fraction * requests, 0
        for ms, count in ordered:
            seen += count
            if seen >= wanted:
                return ms
        return ordered[-1][0]

    return {
        "requests": requests,
        "errors": sum(e["num_failures"] for e in entries),
        "rps": requests / max(ended - started, 1e-9),
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "max": max(e["max_response_time"] for e in entries),
        "by_name": {e["name"]: e["num_requests"] for e in entries},
    }


def worker_rss(server: subprocess.Popen) -> list[float]:
    import psutil

    workers = psutil.Process(server.pid).children()
    return sorted(w.memory_info().rss / 2**20 for w in workers)


def print_row(users: int, kind: str, f: dict) -> None:
    print(
        f"{users:>5}  {kind:<7} {f['requests']:>8} {f['errors']:>7} {f['rps']:>9.1f}"
        f" {f['p50']:>7.0f} {f['p95']:>7.0f} {f['p99']:>7.0f}"
    )


def load_levels(args, env: dict, log: Path) -> bool:
    port = free_port()
    server = start_gunicorn(env, port, log)
    ok = True
    try:
        print(f"\n{args.requests} requests per run; latency in ms")
        print("users  kind    requests  errors     req/s     p50     p95     p99")
        for users in args.levels:
            init_data = seed(learners_for(users, args.requests))
            review = run_locust("review", users, args.requests, port, init_data)
            floor = run_locust("floor", users, args.requests, port, init_data)
            print_row(users, "review", review)
            print_row(users, "floor", floor)
            ratio = review["rps"] / floor["rps"]
            slower = {p: review[p] / max(floor[p], 1) for p in ("p50", "p95", "p99")}
            print(
                f"{'':>5}  review/floor: throughput {ratio:.0%}; latency p50 x{slower['p50']:.1f},"
                f" p95 x{slower['p95']:.1f}, p99 x{slower['p99']:.1f}; {review['by_name']}"
            )
            for reason, count in {**review["failures"], **floor["failures"]}.items():
                print(f"{'':>5}  failed {count}x: {reason}")
            ok = ok and ratio >= 0.5 and review["errors"] == 0 and floor["errors"] == 0
        queries = queries_per_grade(seed(1, 5)[0])
        statements = [q for q in queries if q not in ("BEGIN", "COMMIT")]
        print(
            f"\nSQL queries per grade request: {len(queries)}, of which {len(statements)}"
            " are statements and the rest BEGIN/COMMIT (target <= 6):"
        )
        for query in queries:
            print(f"    {query[:110]}")
        ok = ok and len(statements) <= 6
    finally:
        stop(server)
    return ok


def memory(args, env: dict, log: Path) -> bool:
    port = free_port()
    users = 8
    half = args.memory_requests // 2
    init_data = seed(learners_for(users, args.memory_requests))
    server = start_gunicorn(env, port, log)
    try:
        print(f"\nworker RSS (MB) at start: {worker_rss(server)}")
        first = run_locust("review", users, half, port, init_data)
        at_half = worker_rss(server)
        second = run_locust("review", users, half, port, init_data)
        at_end = worker_rss(server)
    finally:
        stop(server)
    done = first["requests"] + second["requests"]
    errors = first["errors"] + second["errors"]
    growth = max(b - a for a, b in zip(at_half, at_end, strict=True))
    print(f"worker RSS (MB) after {first['requests']} review-loop requests: {at_half}")
    print(f"worker RSS (MB) after {done} review-loop requests: {at_end} ({errors} errors)")
    print(f"largest growth between the two: {growth:+.1f} MB (target: < 150 MB, no growth)")
    return max(at_end) < 150 and growth < 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--levels", default="1,8,32", help="concurrent learners, comma-separated")
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument(
        "--backlog",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time one learner's review requests with 100 and 10,000 due cards",
    )
    args = parser.parse_args()
    args.levels = [int(level) for level in args.levels.split(",")]
    env = setup_django(args.database_url, BENCHMARK_FLOOR_VIEW="true", FSRS_ENABLE_FUZZING="true")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    log = Path(tempfile.gettempdir(), "pw-bench-gunicorn.log")
    print(f"machine: {os.cpu_count()} CPUs; gunicorn log: {log}")
    ok = load_levels(args, env, log)
    if args.backlog:
        ok = backlog() and ok
    if args.memory_requests:
        ok = memory(args, env, log) and ok
    print("\ntargets:", "met" if ok else "NOT MET")


if __name__ == "__main__":
    main()
