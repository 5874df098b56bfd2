"""Fault drill: Redis dies under load, and comes back.

Starts a redis-server of its own (port 6390 by default; never the machine's Redis, which other
processes use), a gunicorn whose cache is that Redis, and virtual learners running the review
loop. Phases: Redis up; Redis shut down a few seconds into the run; Redis down for a whole run
(the no-cache figure); Redis started again on the same port, with the same gunicorn.

    python bench/drill_redis.py [--redis-port 6390] [--users 8] [--requests 1500]

Checks: no request fails in any phase; latency with Redis dying stays within the no-cache
figure (p95, 25 % allowance for a shared machine); /health says cache 503 while Redis is down
and 200 once it is back, without restarting the app; and the app talks to Redis again (the
server's command count grows).
"""

import argparse
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from common import setup_django
from review_load import free_port, learners_for, run_locust, seed, start_gunicorn, stop


def start_redis(port: int, log: Path) -> subprocess.Popen:
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(log),
        ],  # fmt: skip
    )
    for _ in range(50):
        if redis_cli(port, "ping") == "PONG":
            return redis
        time.sleep(0.1)
    raise SystemExit(f"redis-server did not start on port {port}")


def redis_cli(port: int, *command: str) -> str:
    done = subprocess.run(
        ["redis-cli", "-p", str(port), *command], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def commands_processed(port: int) -> int:
    for line in redis_cli(port, "info", "stats").splitlines():
        if line.startswith("total_commands_processed:"):
            return int(line.split(":")[1])
    return 0


def health(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    if redis_cli(args.redis_port, "ping") == "PONG":
        raise SystemExit(f"something already answers on port {args.redis_port}: not ours")
    env = setup_django(args.database_url)
    tmp = Path(tempfile.mkdtemp(prefix="pw-drill-redis-"))
    redis = start_redis(args.redis_port, tmp / "redis.log")
    app_env = {
        **env,
        "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        "CACHE_KEY_PREFIX": "drill",
        "PLAIN_STATIC_STORAGE": "true",
    }
    down = back = (0, "")
    init_data = seed(learners_for(args.users, 4 * args.requests))
    port = free_port()
    server = start_gunicorn(app_env, port, tmp / "gunicorn.log")
    results, notes = {}, []

    def load(name):
        results[name] = run_locust("review", args.users, args.requests, port, init_data)

    def shut_down_redis_soon():
        time.sleep(3)
        redis_cli(args.redis_port, "shutdown", "nosave")

    try:
        before = commands_processed(args.redis_port)
        load("Redis up")
        notes.append(f"health with Redis up: {health(port)}")
        notes.append(
            f"Redis commands during that run: {commands_processed(args.redis_port) - before}"
        )
        killer = threading.Thread(target=shut_down_redis_soon)
        killer.start()
        load("Redis dies")
        killer.join()
        redis.wait(timeout=10)
        down = health(port)
        notes.append(f"health with Redis down: {down}")
        load("no Redis")
        redis = start_redis(args.redis_port, tmp / "redis.log")
        started = time.monotonic()
        while health(port)[0] != 200 and time.monotonic() - started < 60:
            time.sleep(0.5)
        back = health(port)
        notes.append(
            f"health after Redis came back: {back}"
            f" (after {time.monotonic() - started:.1f} s, no app restart)"
        )
        before = commands_processed(args.redis_port)
        load("Redis back")
        used_again = commands_processed(args.redis_port) - before
        # Only /health talks to Redis today: the review loop itself makes no cache calls.
        notes.append(f"Redis commands during the last run: {used_again}")
    finally:
        stop(server)
        if redis.poll() is None:
            redis_cli(args.redis_port, "shutdown", "nosave")
            redis.wait(timeout=10)
    print(f"{args.requests} requests per phase, {args.users} learners; latency in ms")
    print("phase        requests  errors     req/s     p50     p95     p99")
    for name, f in results.items():
        print(
            f"{name:<12} {f['requests']:>8} {f['errors']:>7} {f['rps']:>9.1f}"
            f" {f['p50']:>7.0f} {f['p95']:>7.0f} {f['p99']:>7.0f}"
        )
    for note in notes:
        print(note)
    no_errors = all(f["errors"] == 0 for f in results.values())
    within = results["Redis dies"]["p95"] <= 1.25 * results["no Redis"]["p95"]
    health_ok = down[0] == 503 and "cache" in down[1] and back[0] == 200
    print(
        f"no failed request: {no_errors}; latency while Redis dies within the no-cache figure:"
        f" {within}; /health follows Redis: {health_ok}"
    )
    print("targets:", "met" if no_errors and within and health_ok else "NOT MET")


if __name__ == "__main__":
    main()
