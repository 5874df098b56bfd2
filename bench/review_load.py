"""Review loop under load, beside the floor, on one gunicorn with production settings.

Seeds learners with due cards in a database of its own, starts gunicorn on loopback (the repo's
gunicorn.conf.py when there is one, else gthread, 2 workers x 4 threads) with Redis as the cache,
as in production, and drives virtual learners with locust (bench/locustfile.py) through the Mini
App's real requests: open the review, show the answer, grade, next card; each with its own
signed initData, on a new connection for every request (--keep-alive: one connection each).
Other learners ask for GET /bench/floor/, a constant behind the same middleware. This machine's
speed drifts by up to a factor of two over minutes, so at each level the review loop and the
floor take turns, --rounds times each (floor first, then review first), and each figure adds up
all of its rounds (each round's own ratio is printed too: their spread shows the drift).
Then, on a fresh server, the resident memory of each worker after a warm-up and then 5,000 and
10,000 review-loop requests.

    python bench/review_load.py [--requests 3000] [--levels 1,8,32] [--rounds 3]
                                [--memory-requests 10000] [--populations 100,10000]
                                [--database-url postgres://postgres@127.0.0.1:5432/pw_bench]
                                [--redis-url redis://127.0.0.1:6379/0] [--no-backlog]
                                [--keep-alive]

Targets: review-loop throughput >= 50 % of the floor's at 8 and 32 learners, one learner's
median latency <= 3x the floor's, no errors, <= 6 SQL statements per grade; worker RSS < 150 MB
without growth between 5,000 and 10,000 requests; one learner's review request (answer + grade,
in this process) as fast with 10,000 due cards as with 100; the loop at 8 learners among 10,000
learners with 1,000,000 cards within 10 % of the loop among 100 learners (--populations).
"""

import argparse
import contextlib
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import (
    ANSWER_URL,
    BENCH_BOT_TOKEN,
    GRADE_URL,
    ROOT,
    VERSION,
    create_database,
    found,
    setup_django,
)

BIN = Path(sys.executable).parent
DUE_CARDS = 100  # phrases per learner, each with two cards due: a heavy day; a learner who
# finishes hands over to the next one
LATER_CARDS = 100  # not due yet: every learner's queue query sorts past them, as in real life
# The other learners of a bigger database (--populations): 100 cards each, 30 of them due.
OTHERS_CARDS, OTHERS_DUE = 100, 30

# The phrase's front says its number, which its cards' schedule reads. The first `active`
# learners (the ones the load drives) get `cards` phrases, each learned both ways as a new
# deck's are (two cards due together: grading one buries the other until tomorrow); the
# others OTHERS_CARDS phrases, one card each.
SEED_PHRASES = """
INSERT INTO cards_phrase (owner_id, deck_id, front, back, example, notes, tags, created,
                          updated, search_text, image, image_side, audio)
SELECT d.owner_id, d.id, 'front ' || g, 'back ' || g, 'an example sentence', '', '',
       now() - interval '40 days', now() - interval '40 days',
       -- cards.search.search_text of these fields (plain lowercase ASCII, no tags)
       'front ' || g || E'\nback ' || g || E'\nan example sentence\n\n\t\t',
       '', 'front', ''
FROM cards_deck d CROSS JOIN LATERAL generate_series(
    1, CASE WHEN d.owner_id <= %(active)s THEN %(cards)s ELSE %(others_cards)s END) AS g
"""
SEED_CARDS = """
INSERT INTO cards_card (owner_id, deck_id, phrase_id, direction, suspended, created, updated,
                        state, step, stability, difficulty, due, last_review, version, lapses)
SELECT p.owner_id, p.deck_id, p.id, way.direction, false,
       now() - interval '40 days', now() - interval '40 days', 2, NULL,
       3 + random() * 20, 2 + random() * 6,
       CASE WHEN substr(p.front, 7)::int
                 <= CASE WHEN p.owner_id <= %(active)s THEN %(due)s ELSE %(others_due)s END
            THEN now() - random() * interval '3 days'
            ELSE now() + (1 + random() * 60) * interval '1 day' END,
       now() - interval '12 days', 3, 0
FROM cards_phrase p CROSS JOIN (VALUES ('recognition'), ('production')) AS way (direction)
WHERE way.direction = 'recognition' OR p.owner_id <= %(active)s
"""


def learners_for(users: int, requests: int) -> int:
    """Enough learners that none runs out of due cards: a grade is every other request."""
    return users + requests // (2 * DUE_CARDS) + 1


def seed(learners: int, due_per_learner: int = DUE_CARDS, *, population: int = 0) -> list[str]:
    """Fresh learners with one deck of due cards each; their signed initData. With a
    `population` larger than `learners`, as many learners in all: the others have
    OTHERS_CARDS cards each and are not driven."""
    from django.core.cache import cache
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
            for i in range(max(learners, population))
        )
        Deck.objects.bulk_create(
            Deck(owner=user, name="Phrases", new_cards_per_day=20, reviews_per_day=200)
            for user in users
        )
        # RESTART IDENTITY: the driven learners are users 1 to `learners`.
        counts = {"active": learners, "others_cards": OTHERS_CARDS, "others_due": OTHERS_DUE}
        cursor.execute(SEED_PHRASES, {**counts, "cards": due_per_learner + LATER_CARDS})
        cursor.execute(SEED_CARDS, {**counts, "due": due_per_learner})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    # Load balance's counts are cached by user id, which the new learners have again.
    if hasattr(cache, "delete_pattern"):  # django-redis
        cache.delete_pattern("*")
    else:
        cache.clear()
    profile = {"last_name": "", "username": "", "language_code": "en"}
    return [
        initdata.sign_user(
            {"id": u.telegram_id, "first_name": u.first_name, **profile}, BENCH_BOT_TOKEN
        )
        for u in users[:learners]
    ]


def queries_per_grade(init_data: str, grades: int = 60) -> list[list[str]]:
    """The SQL queries of each of a learner's first `grades` grade requests (mostly Good, as in
    the load), counted in this process on the same database."""
    import random

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"tma {init_data}", HTTP_HX_REQUEST="true"
    )
    front = client.get("/review/", HTTP_HX_TARGET="app").content.decode()
    counted = []
    for _ in range(grades):
        answer = client.get(found(ANSWER_URL, front), HTTP_HX_TARGET="review-card")
        text = answer.content.decode()
        form = {"rating": random.choice("2333334"), "version": found(VERSION, text)}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(found(GRADE_URL, text), form, HTTP_HX_TARGET="app")
        assert response.status_code == 200, response.status_code
        counted.append([query["sql"] for query in queries.captured_queries])
        front = response.content.decode()
    return counted


def statements(queries: list[str]) -> list[str]:
    return [query for query in queries if query not in ("BEGIN", "COMMIT")]


def print_statements(graded: list[list[str]]) -> bool:
    """The statements of a grade, and how many grades counted load balance's days."""
    counts = [len(statements(queries)) for queries in graded]
    # cards.load's count of the learner's days: the one query that names its column "day".
    filled = sum(any('AS "day"' in q for q in queries) for queries in graded)
    typical = max(graded, key=lambda queries: counts.count(len(statements(queries))))
    print(
        f"\nSQL statements per grade request over a learner's first {len(graded)} grades:"
        f" {min(counts)} to {max(counts)}, {statistics.median(counts):.0f} in the median"
        f" (target <= 6); {filled} of them counted load balance's days (cards.load), the rest"
        " read them from the cache. A typical grade (BEGIN and COMMIT are not statements):"
    )
    for query in typical:
        print(f"    {query[:110]}")
    return statistics.median(counts) <= 6


def review_pairs(init_data: str):
    """In this process, one learner's review requests: each next() shows the answer of the
    card on screen and grades it, and gives the two requests' time in ms."""
    from django.test import Client

    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"tma {init_data}", HTTP_HX_REQUEST="true"
    )
    front = client.get("/review/", HTTP_HX_TARGET="app").content.decode()
    while True:
        started = time.perf_counter()
        answer = client.get(found(ANSWER_URL, front), HTTP_HX_TARGET="review-card")
        form = {"rating": "3", "version": found(VERSION, answer.content.decode())}
        grade_url = found(GRADE_URL, answer.content.decode())
        front = client.post(grade_url, form, HTTP_HX_TARGET="app").content.decode()
        yield (time.perf_counter() - started) * 1000


BACKLOG = 10_000  # due cards of the learner back from a holiday
# Phrases learned both ways: each day a learner grades one card of each (the other is buried),
# so the learner with a hundred due cards has fifty grades in a day.
SMALL_BACKLOG = 100


def backlog(rounds: int = 45) -> bool:
    """A learner's own backlog: answer + grade of a learner with 10,000 due cards and of one
    with 100, in the same database and with as many cards (the others due later), their
    requests taking turns so that the machine's drift weighs on both alike."""
    from django.db import connection

    print("\nOne learner's backlog, in process (median ms per answer + grade, taking turns):")
    big, small = seed(2, BACKLOG // 2)
    with connection.cursor() as cursor:
        # The second learner's backlog is all but SMALL_BACKLOG cards put a month ahead.
        cursor.execute(
            "UPDATE cards_card SET due = now() + interval '30 days' WHERE owner_id = 2"
            " AND due <= now() AND phrase_id NOT IN (SELECT id FROM cards_phrase"
            " WHERE owner_id = 2 ORDER BY id LIMIT %s)",
            [SMALL_BACKLOG // 2],
        )
        cursor.execute("ANALYZE cards_card")
    learners = {BACKLOG: review_pairs(big), SMALL_BACKLOG: review_pairs(small)}
    times: dict[int, list[float]] = {due: [] for due in learners}
    for _ in range(rounds):
        for due, pairs in learners.items():
            times[due].append(next(pairs))
    for due, taken in times.items():
        quartiles = statistics.quantiles(taken, n=4)
        print(
            f"    {due:>6} due cards: {statistics.median(taken):.1f} ms"
            f" (quartiles {quartiles[0]:.1f} / {quartiles[2]:.1f}; {len(taken)} pairs)"
        )
    ratio = statistics.median(times[BACKLOG]) / statistics.median(times[SMALL_BACKLOG])
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
    return {**summarise(entries), "failures": reasons, "entries": entries}


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


def combine(runs: list[dict]) -> dict:
    """The figures of several runs taken as one: their requests over their summed durations,
    percentiles of all their requests."""
    duration = sum(run["requests"] / run["rps"] for run in runs)
    merged = summarise([entry for run in runs for entry in run["entries"]])
    failures = sum((Counter(run["failures"]) for run in runs), Counter())
    by_name = sum((Counter(run["by_name"]) for run in runs), Counter())
    rps = merged["requests"] / duration
    # Each round's own figure too: how far they spread says how much the machine drifted.
    rounds = [run["rps"] for run in runs]
    return {
        **merged,
        "rps": rps,
        "failures": dict(failures),
        "by_name": dict(by_name),
        "rounds": rounds,
    }


def connections(args) -> dict[str, str]:
    """A new connection for every request unless --keep-alive: kept alive, each learner's
    connection stays with the worker that accepted it, and the floor fell from about 900 to
    450 requests/s whenever all eight landed on one worker of two."""
    return {} if args.keep_alive else {"BENCH_CONNECTION_CLOSE": "true"}


def level(args, users: int, port: int) -> tuple[dict, dict]:
    """The review loop and the floor at `users` learners, in alternating rounds; each review
    round with learners of its own, fresh from the seed."""
    per_run = args.requests // args.rounds
    learners = learners_for(users, per_run)
    init_data = seed(learners * args.rounds)
    reviews, floors = [], []
    for round_ in range(args.rounds):
        fresh = init_data[round_ * learners : (round_ + 1) * learners]
        for mode in ("floor", "review") if round_ % 2 == 0 else ("review", "floor"):
            run = run_locust(mode, users, per_run, port, fresh, extra_env=connections(args))
            (reviews if mode == "review" else floors).append(run)
    return combine(reviews), combine(floors)


def compare(users: int, review: dict, floor: dict) -> bool:
    """Print the level's rows; whether its targets are met."""
    print_row(users, "review", review)
    print_row(users, "floor", floor)
    ratio = review["rps"] / floor["rps"]
    slower = {p: review[p] / max(floor[p], 1) for p in ("p50", "p95", "p99")}
    if users == 1:
        target, met = "one learner's median latency <= 3x the floor's", slower["p50"] <= 3
    else:
        target, met = "throughput >= 50 % of the floor's", ratio >= 0.5
    print(
        f"{'':>5}  review/floor: throughput {ratio:.0%}; latency p50 x{slower['p50']:.1f},"
        f" p95 x{slower['p95']:.1f}, p99 x{slower['p99']:.1f}; {review['by_name']}"
    )
    each = [r / f for r, f in zip(review["rounds"], floor["rounds"], strict=True)]
    print(f"{'':>5}  each round's throughput: {' / '.join(f'{r:.0%}' for r in each)}")
    print(f"{'':>5}  target: {target}: {'met' if met else 'NOT MET'}")
    for reason, count in {**review["failures"], **floor["failures"]}.items():
        print(f"{'':>5}  failed {count}x: {reason}")
    return met and review["errors"] == 0 and floor["errors"] == 0


def load_levels(args, env: dict, log: Path) -> bool:
    port = free_port()
    server = start_gunicorn(env, port, log)
    ok = True
    try:
        print(
            f"\n{args.requests} requests of each kind per level, in {args.rounds} alternating"
            " rounds; latency in ms"
        )
        print("users  kind    requests  errors     req/s     p50     p95     p99")
        for users in args.levels:
            ok = compare(users, *level(args, users, port)) and ok
        ok = print_statements(queries_per_grade(seed(1)[0])) and ok
    finally:
        stop(server)
    return ok


@contextlib.contextmanager
def on_database(url: str):
    """This process's connection on another database of the same server, created and
    migrated (to seed it)."""
    from django.core.management import call_command
    from django.db import connection

    create_database(url)
    own = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = urlsplit(url).path.lstrip("/")
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = own


def populations(args, env: dict, log: Path) -> bool:
    """The loop at 8 learners in databases of different sizes, each against its own floor.

    Each population has a database and a gunicorn of its own, and their rounds take turns,
    as the loop and the floor do: run one after the other, the machine's drift between the two
    could decide the comparison."""
    per_run = args.requests // args.rounds
    learners = learners_for(8, per_run)
    seeds, ports, servers = {}, {}, []
    runs: dict[int, dict[str, list]] = {}
    try:
        for population in args.populations:
            url = urlunsplit(urlsplit(args.database_url)._replace(path=f"/pw_bench_{population}"))
            with on_database(url):
                seeds[population] = seed(learners * args.rounds, population=population)
            ports[population] = free_port()
            # A cache of its own: both databases have learners 1, 2, 3...
            prefix = f"bench-{population}-{os.getpid()}"
            server_env = {**env, "DATABASE_URL": url, "CACHE_KEY_PREFIX": prefix}
            servers.append(start_gunicorn(server_env, ports[population], log))
            runs[population] = {"review": [], "floor": []}
        for round_ in range(args.rounds):
            order = args.populations if round_ % 2 == 0 else args.populations[::-1]
            for population in order:
                fresh = seeds[population][round_ * learners : (round_ + 1) * learners]
                for mode in ("floor", "review") if round_ % 2 == 0 else ("review", "floor"):
                    run = run_locust(
                        mode, 8, per_run, ports[population], fresh, extra_env=connections(args)
                    )
                    runs[population][mode].append(run)
    finally:
        for server in servers:
            stop(server)
    ratios = {}
    for population in args.populations:
        cards = population * OTHERS_CARDS
        print(f"\n8 learners among {population:,} (about {cards:,} cards):")
        review, floor = combine(runs[population]["review"]), combine(runs[population]["floor"])
        compare(8, review, floor)
        ratios[population] = review["rps"] / floor["rps"]
    smallest, largest = min(ratios), max(ratios)
    change = ratios[largest] / ratios[smallest]
    print(
        f"\nreview/floor among {largest:,} learners against {smallest:,}: x{change:.2f}"
        " (target: within 10 %)"
    )
    return abs(change - 1) <= 0.1


def memory(args, env: dict, log: Path) -> bool:
    """Each worker's RSS after a warm-up (32 learners, so that both workers take some of the
    connections and load what the first requests load), then after two runs of half the
    requests each: it should not grow between the two."""
    port = free_port()
    users, warm_up = 8, 1000
    half = args.memory_requests // 2
    learners = learners_for(32, warm_up)
    fresh = learners_for(users, half)
    init_data = seed(learners + 2 * fresh)
    server = start_gunicorn(env, port, log)
    try:
        print(f"\nworker RSS (MB) at start: {worker_rss(server)}")
        extra = connections(args)
        run_locust("review", 32, warm_up, port, init_data[:learners], extra_env=extra)
        warm = worker_rss(server)
        first = run_locust(
            "review", users, half, port, init_data[learners : learners + fresh], extra_env=extra
        )
        at_half = worker_rss(server)
        rest = init_data[learners + fresh :]
        second = run_locust("review", users, half, port, rest, extra_env=extra)
        at_end = worker_rss(server)
    finally:
        stop(server)
    done = first["requests"] + second["requests"]
    errors = first["errors"] + second["errors"]
    growth = max(b - a for a, b in zip(at_half, at_end, strict=True))
    print(f"worker RSS (MB) after a warm-up of {warm_up} requests: {warm}")
    print(f"... and {first['requests']} review-loop requests more: {at_half}")
    print(f"... and {done} review-loop requests more: {at_end} ({errors} errors)")
    print(f"largest growth between the last two: {growth:+.1f} MB (target: < 150 MB, no growth)")
    return max(at_end) < 150 and growth < 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--levels", default="1,8,32", help="concurrent learners, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per level")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="keep each learner's connection (by default, a new one for every request)",
    )
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument(
        "--populations",
        default="",
        help="learners in the database, comma-separated (say 100,10000): the loop at 8 learners"
        " among each",
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="the cache, as in production (empty: each process's local memory)",
    )
    parser.add_argument(
        "--backlog",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time one learner's review requests with 100 and 10,000 due cards",
    )
    args = parser.parse_args()
    args.levels = [int(users) for users in args.levels.split(",") if users]
    args.populations = [int(count) for count in args.populations.split(",") if count]
    cache = {"REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": "bench"} if args.redis_url else {}
    env = setup_django(
        args.database_url, BENCHMARK_FLOOR_VIEW="true", FSRS_ENABLE_FUZZING="true", **cache
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    log = Path(tempfile.gettempdir(), "pw-bench-gunicorn.log")
    print(f"machine: {os.cpu_count()} CPUs; gunicorn log: {log}")
    ok = load_levels(args, env, log) if args.levels else True
    if args.populations:
        ok = populations(args, env, log) and ok
    if args.backlog:
        ok = backlog() and ok
    if args.memory_requests:
        ok = memory(args, env, log) and ok
    print("\ntargets:", "met" if ok else "NOT MET")


if __name__ == "__main__":
    main()
