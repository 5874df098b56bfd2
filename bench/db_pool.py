"""PostgreSQL connections of the review loop, with and without Django's connection pool.

One gunicorn (the repo's gunicorn.conf.py: 2 workers x 4 threads) runs the review loop
(bench/locustfile.py) first with a connection per thread (DATABASE_POOL_SIZE unset: persistent
connections, conn_max_age 600 s), then with each DATABASE_POOL_SIZE of --pool-sizes (Django's
psycopg pool: at most that many connections per worker process, handed from request to
request), at each level of learners, in the same run. A sampler reads pg_stat_activity every 0.2 s.

    python bench/db_pool.py [--requests 1000] [--levels 8,32] [--pool-sizes 2,4]
                            [--database-url postgres://postgres@127.0.0.1:5432/pw_bench]

Targets: with the pool, connections at most workers x pool size; no errors; throughput within
10 % of the run without it.
"""

import argparse
import signal
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import setup_django
from drill_scale_out import max_connections, wait_until
from review_load import free_port, learners_for, run_locust, seed, start_gunicorn, stop

WORKERS, THREADS = 2, 4  # gunicorn.conf.py's defaults


def measure(env: dict, args, users: int, log: Path) -> dict:
    from django.db import connection

    init_data = seed(learners_for(users, args.requests))
    connection.close()  # only gunicorn's connections are counted
    # ...and not those of the previous run's gunicorn, whose backends may still be exiting.
    wait_until(lambda: connections(args.database_url) == 0, "the last run's connections", 30)
    port = free_port()
    server = start_gunicorn({**env, "PLAIN_STATIC_STORAGE": "true"}, port, log)
    seen: list[int] = []
    done = threading.Event()
    sampler = threading.Thread(target=max_connections, args=(args.database_url, done, seen))
    sampler.start()
    try:
        figures = run_locust("review", users, args.requests, port, init_data)
    finally:
        done.set()
        sampler.join()
        stop(server)
    return {**figures, "connections": max(seen, default=0)}


def connections(database_url: str) -> int:
    import psycopg

    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True) as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        return conn.execute(query, [parts.path.lstrip("/")]).fetchone()[0]


def row(users: int, name: str, f: dict, note: str = "") -> None:
    print(
        f"{users:>5}  {name:<22} {f['rps']:>6.1f} {f['p50']:>5.0f} {f['p95']:>5.0f}"
        f" {f['errors']:>7} {f['connections']:>16}{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--levels", default="8,32")
    parser.add_argument("--pool-sizes", default="2,4")
    args = parser.parse_args()
    # A SIGTERM stops the script as Ctrl-C does: measure()'s finally stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = setup_django(args.database_url, BENCHMARK_FLOOR_VIEW="true")
    log = Path(tempfile.gettempdir(), "pw-bench-db-pool.log")
    print(f"{args.requests} requests per run; gunicorn {WORKERS} workers x {THREADS} threads")
    print("users  connections from         req/s   p50   p95  errors  max connections")
    ok = True
    for users in (int(level) for level in args.levels.split(",")):
        without = measure({**env, "DATABASE_POOL_SIZE": "0"}, args, users, log)
        row(users, "each thread", without)
        ok = ok and without["errors"] == 0
        for size in (int(size) for size in args.pool_sizes.split(",")):
            pooled = measure({**env, "DATABASE_POOL_SIZE": str(size)}, args, users, log)
            ratio = pooled["rps"] / without["rps"]
            row(users, f"a pool of {size}", pooled, f"  throughput {ratio:.0%} of each thread's")
            ok = ok and pooled["connections"] <= WORKERS * size
            ok = ok and pooled["errors"] == 0 and ratio >= 0.9
    print("targets:", "met" if ok else "NOT MET")


if __name__ == "__main__":
    main()
