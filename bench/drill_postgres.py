"""Fault drill: PostgreSQL goes away under load, and comes back.

gunicorn reaches PostgreSQL through a TCP proxy in this script, so the drill never touches the
machine's PostgreSQL: cutting the proxy closes its listener and every open connection (as a
restart does), restoring it listens again. Virtual learners run the review loop throughout.

    python bench/drill_postgres.py [--users 8] [--before 8] [--outage 8] [--after 12]

Checks: during the outage requests fail fast (503, well within gunicorn's 30 s timeout) and
/health names the database; after it the app serves again without a restart; and across the
whole drill every grade that got a 2xx has exactly one ReviewLog, every failed grade none.
"""

import argparse
import contextlib
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import setup_django
from review_load import free_port, learners_for, run_locust, seed, start_gunicorn, stop


class CuttableProxy:
    """A TCP forwarder to `upstream` that can drop every connection and refuse new ones."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.listener = None
        self.restore()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        # shutdown() first: close() alone leaves a listener that a thread blocked in accept()
        # keeps alive, and PostgreSQL would still be reachable.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)  # idle pooled connections must live as long as they would
            with self.lock:
                self.sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source, target) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def health(port: int) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=40) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    except OSError as error:  # no answer at all
        status, body = 0, repr(error)
    return status, body, time.monotonic() - started


def grade_bookkeeping(grade_log: Path) -> tuple[Counter, list[str]]:
    """Each grade request's outcome against the ReviewLog rows of its card."""
    from cards.models import ReviewLog

    attempts = defaultdict(list)
    for line in grade_log.read_text().splitlines():
        card_id, version, status = line.split()[:3]
        attempts[int(card_id)].append((int(version), int(status)))
    logs = Counter(ReviewLog.objects.values_list("card_id", flat=True))
    outcomes, problems = Counter(), []
    for card_id, tries in attempts.items():
        ok = sum(200 <= status < 300 for _version, status in tries)
        outcomes.update("2xx" if 200 <= s < 300 else str(s) for _v, s in tries)
        if logs[card_id] != ok:
            problems.append(f"card {card_id}: grades {tries}, ReviewLog rows {logs[card_id]}")
    graded_without_request = set(logs) - set(attempts)
    problems += [f"card {c}: a ReviewLog without a grade request" for c in graded_without_request]
    return outcomes, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--before", type=float, default=8, help="seconds before the outage")
    parser.add_argument("--outage", type=float, default=8, help="seconds without PostgreSQL")
    parser.add_argument("--after", type=float, default=12, help="seconds after it")
    args = parser.parse_args()
    env = setup_django(args.database_url, BENCHMARK_FLOOR_VIEW="true")
    parts = urlsplit(args.database_url)
    proxy = CuttableProxy((parts.hostname, parts.port or 5432))
    through_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    # At most ~150 requests/s on this kind of machine: enough learners for the whole drill.
    seconds = args.before + args.outage + args.after + 20
    init_data = seed(learners_for(args.users, int(150 * seconds)))
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="pw-drill-"))
    server = start_gunicorn(
        {**env, "DATABASE_URL": through_proxy, "PLAIN_STATIC_STORAGE": "true"},
        port,
        tmp / "gunicorn.log",
    )
    grade_log = tmp / "grades.txt"
    events = []

    def outage():
        time.sleep(args.before)
        proxy.cut()
        print("PostgreSQL cut", flush=True)
        try:
            events.append(("health during the outage", *health(port)))
            time.sleep(max(args.outage - events[-1][3], 0))
        finally:
            proxy.restore()
            print("PostgreSQL back", flush=True)
        time.sleep(2)
        events.append(("health after the outage", *health(port)))

    try:
        drill = threading.Thread(target=outage)
        drill.start()
        total = args.before + args.outage + args.after
        figures = run_locust(
            "review",
            args.users,
            10**9,
            port,
            init_data,
            run_time=f"{int(total)}s",
            extra_env={"BENCH_GRADE_LOG": str(grade_log)},
        )
        drill.join()
        print("load during the drill done", flush=True)
        after = run_locust(
            "review",
            args.users,
            300,
            port,
            init_data,
            run_time="60s",
            extra_env={"BENCH_GRADE_LOG": str(grade_log)},
        )
    finally:
        stop(server)
        proxy.cut()
    outcomes, problems = grade_bookkeeping(grade_log)
    print(
        f"drill: {args.users} learners, {args.before:.0f} s, outage {args.outage:.0f} s,"
        f" {args.after:.0f} s after; gunicorn log {tmp / 'gunicorn.log'}"
    )
    print(
        f"requests {figures['requests']}, failed {figures['errors']}, "
        f"p50 {figures['p50']} ms, p99 {figures['p99']} ms, slowest {figures['max']:.0f} ms"
    )
    for event in events:
        if event[0].startswith("health"):
            print(f"{event[0]}: {event[1]} {event[2].strip()} in {event[3] * 1000:.0f} ms")
    print(f"grade requests by outcome: {dict(outcomes)}")
    print(f"after the drill (no restart): {after['requests']} requests, {after['errors']} failed")
    print(f"grades whose ReviewLog rows do not match their outcome: {len(problems)}")
    for problem in problems[:20]:
        print("    " + problem)
    health_during = next(e for e in events if e[0] == "health during the outage")
    health_after = next(e for e in events if e[0] == "health after the outage")
    ok = (
        figures["max"] < 30_000
        and health_during[1] == 503
        and "database" in health_during[2]
        and health_after[1] == 200
        and after["errors"] == 0
        and not problems
    )
    print("targets:", "met" if ok else "NOT MET")


if __name__ == "__main__":
    main()
