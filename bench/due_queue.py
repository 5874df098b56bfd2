"""Due queue at scale: 10,000 learners, 1,000,000 cards with realistic FSRS states.

Seeds PostgreSQL with set-based SQL (generate_series), then times the SQL that
cards.models.study_queue builds for one learner (LIMIT 1 and LIMIT 20) beside a primary-key
lookup of a card, and prints EXPLAIN (ANALYZE, BUFFERS) of the queue query.

    python bench/due_queue.py [--database-url postgres://127.0.0.1:5432/pw_bench_queue] [--reseed]
                              [--proposed-index]

Targets: the plan reads cards_card through an index (no sequential scan), and the queue query
takes at most 5× the primary-key lookup.
"""

import argparse
import re
import statistics
import time

from common import setup_django

LEARNERS = 10_000
DECKS_PER_LEARNER = 2
CARDS = 1_000_000
RUNS = 300

# One row per card, drawn at random: 30 % new, 5 % learning, 58 % review, 5 % relearning,
# 2 % suspended. Decks are chosen with a skew (power 2): a few learners have thousands of
# cards, most have dozens, as in any real flashcard app.
SEED_CARDS = """
WITH decks AS (
    SELECT id, owner_id, row_number() OVER (ORDER BY id) AS n FROM cards_deck
), drawn AS (
    SELECT g,
           1 + floor(power(random(), 2) * %(decks)s)::int AS deck_n,
           random() AS kind,
           random() AS r1,
           random() AS r2,
           now() - random() * interval '400 days' AS created
    FROM generate_series(1, %(cards)s) AS g
), phrases AS (
    -- A phrase a card (its id the card's number), recognition only. The card's foreign key
    -- is checked at commit, after both inserts.
    INSERT INTO cards_phrase (id, owner_id, deck_id, front, back, example, notes, tags,
                              created, updated, search_text, image, image_side, audio)
    SELECT g, d.owner_id, d.id, 'front ' || g, 'back ' || g, '', '', '', created, created,
           -- cards.search.search_text of these fields (plain lowercase ASCII, no tags)
           'front ' || g || E'\nback ' || g || E'\n\n\n\t\t',
           '', 'front', ''
    FROM drawn JOIN decks d ON d.n = drawn.deck_n
)
INSERT INTO cards_card (owner_id, deck_id, phrase_id, direction, suspended,
                        created, updated, state, step, stability, difficulty, due,
                        last_review, version, lapses)
SELECT d.owner_id, d.id, g, 'recognition', kind >= 0.98, created, created,
       CASE WHEN kind < 0.35 THEN 1 WHEN kind < 0.93 THEN 2 WHEN kind < 0.98 THEN 3 ELSE 2 END,
       CASE WHEN kind < 0.30 THEN 0 WHEN kind < 0.35 THEN (r1 * 2)::int
            WHEN kind < 0.93 THEN NULL WHEN kind < 0.98 THEN 0 ELSE NULL END,
       CASE WHEN kind < 0.30 THEN NULL WHEN kind < 0.35 THEN 0.5 + r1 * 3
            WHEN kind < 0.93 THEN exp(r1 * 5.7) WHEN kind < 0.98 THEN 0.5 + r1 * 5
            ELSE exp(r1 * 5.7) END,
       CASE WHEN kind < 0.30 THEN NULL ELSE 1 + r2 * 9 END,
       CASE WHEN kind < 0.30 THEN created
            WHEN kind < 0.35 OR (kind >= 0.93 AND kind < 0.98)
                THEN now() - r2 * interval '60 minutes' + interval '10 minutes'
            ELSE now() + (1 - 2 * r2) * exp(r1 * 5.7) * interval '1 day' END,
       CASE WHEN kind < 0.30 THEN NULL
            WHEN kind < 0.35 OR (kind >= 0.93 AND kind < 0.98)
                THEN now() - r2 * interval '60 minutes'
            ELSE now() - 2 * r2 * exp(r1 * 5.7) * interval '1 day' END,
       CASE WHEN kind < 0.30 THEN 0 ELSE 1 + (r2 * 20)::int END, 0
FROM drawn JOIN decks d ON d.n = drawn.deck_n
"""


def seed(reseed: bool) -> None:
    from django.db import connection, transaction

    from accounts.models import User
    from cards.models import Card, Deck

    if not reseed and Card.objects.count() == CARDS and User.objects.count() == LEARNERS:
        print(f"seed: {LEARNERS:,} learners and {CARDS:,} cards already there")
        return
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, cards_deck, cards_phrase, cards_card, cards_reviewlog "
            "RESTART IDENTITY CASCADE"
        )
        users = User.objects.bulk_create(
            User(telegram_id=10_000_000 + i, username=f"tg{10_000_000 + i}", first_name=f"L{i}")
            for i in range(LEARNERS)
        )
        Deck.objects.bulk_create(
            Deck(owner=user, name=f"Deck {k}", new_cards_per_day=20, reviews_per_day=200)
            for user in users
            for k in range(DECKS_PER_LEARNER)
        )
        cursor.execute(SEED_CARDS, {"decks": LEARNERS * DECKS_PER_LEARNER, "cards": CARDS})
        # The phrases were inserted with their ids: the sequence goes on after them.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cards_phrase', 'id'), max(id)) FROM cards_phrase"
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cards_card")
        cursor.execute("ANALYZE cards_deck")
        cursor.execute("ANALYZE accounts_user")
    print(f"seed: {LEARNERS:,} learners and {CARDS:,} cards in {time.monotonic() - started:.1f} s")


# An index whose order is study_queue's ORDER BY, so that LIMIT stops after a few index entries
# instead of sorting all of a learner's cards. Created only in the benchmark database, to show
# the effect of the change proposed to cards/models.py (see the README's Performance section).
PROPOSED_INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_proposed_queue ON cards_card "
    "(owner_id, (last_review IS NULL), due, id) WHERE NOT suspended"
)


def use_proposed_index(wanted: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(PROPOSED_INDEX if wanted else "DROP INDEX IF EXISTS bench_proposed_queue")
        cursor.execute("ANALYZE cards_card")


def timed(sql: str, params, runs: int = RUNS) -> dict[str, float]:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95)],
    }


def explain(sql: str, params) -> tuple[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    execution = float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1))
    return plan, execution


def card_scans(plan: str) -> list[str]:
    """How the plan reads cards_card: 'Index Scan using card_due_queue', 'Seq Scan', …"""
    pattern = (
        r"((?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan)"
        r"(?: using \w+)?) on cards_card"
    )
    return re.findall(pattern, plan)


def measure_learner(label: str, user) -> bool:
    from cards.models import Card, DailyProgress, study_queue

    progress = DailyProgress(user)
    queue = study_queue(user, progress)
    some_card = Card.objects.filter(owner=user).order_by("?").values_list("pk", flat=True)[0]
    pk_sql, pk_params = Card.objects.filter(pk=some_card).query.sql_with_params()
    counts = Card.objects.for_user(user).active()
    print(
        f"\n== {label}: user {user.pk}, {Card.objects.filter(owner=user).count():,} cards, "
        f"{counts.due(progress.now).count():,} due, {counts.new().count():,} new"
    )
    pk = timed(pk_sql, pk_params)
    _plan, pk_exec = explain(pk_sql, pk_params)
    print(
        f"primary-key lookup   wall median {pk['median']:.3f} ms  p95 {pk['p95']:.3f} ms"
        f"   server {pk_exec:.3f} ms"
    )
    ok = True
    for limit in (1, 20):
        sql, params = queue[:limit].query.sql_with_params()
        figures = timed(sql, params)
        plan, execution = explain(sql, params)
        scans = card_scans(plan)
        ratio = figures["median"] / pk["median"]
        server_ratio = execution / pk_exec
        indexed = bool(scans) and not any("Seq Scan" in scan for scan in scans)
        within = ratio <= 5
        ok = ok and indexed and within
        print(
            f"due queue LIMIT {limit:<3} wall median {figures['median']:.3f} ms"
            f"  p95 {figures['p95']:.3f} ms   server {execution:.3f} ms"
            f"   {ratio:.1f}x the pk lookup ({'ok' if within else 'OVER 5x'};"
            f" server time {server_ratio:.1f}x)"
            f"   cards_card read by: {', '.join(scans) or '?'}"
            f" ({'index' if indexed else 'NOT AN INDEX SCAN'})"
        )
        if limit == 20:
            print("EXPLAIN (ANALYZE, BUFFERS), LIMIT 20:")
            print("    " + plan.replace("\n", "\n    "))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench_queue"
    )
    parser.add_argument("--reseed", action="store_true", help="drop the rows and seed again")
    parser.add_argument(
        "--proposed-index", action="store_true", help="measure with the proposed queue index"
    )
    args = parser.parse_args()
    setup_django(args.database_url)
    seed(args.reseed)
    use_proposed_index(args.proposed_index)
    print("proposed queue index:", "on" if args.proposed_index else "off (the migrations' indexes)")

    from django.db.models import Count

    from accounts.models import User

    by_cards = list(
        User.objects.annotate(n=Count("decks__cards")).order_by("n", "pk").values_list("pk", "n")
    )
    median_pk = by_cards[len(by_cards) // 2][0]
    heaviest_pk = by_cards[-1][0]
    results = [
        measure_learner("a typical learner (median card count)", User.objects.get(pk=median_pk)),
        measure_learner("the heaviest learner", User.objects.get(pk=heaviest_pk)),
    ]
    print("\ntargets (index scan, within 5x the pk lookup):", "met" if all(results) else "NOT MET")


if __name__ == "__main__":
    main()
