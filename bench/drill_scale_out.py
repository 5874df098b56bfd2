"""Scale-out drill: three app instances behind HAProxy and two task workers, on one PostgreSQL
and one Redis, under the review-loop load; one instance stopped, another killed, both started
again; then the workers' tasks: each run once, one worker killed in the middle of an import,
reminders enqueued by two machines at the same moment.

    python bench/drill_scale_out.py [--users 8] [--pool-size 0]
        [--database-url postgres://postgres@127.0.0.1:5432/pw_bench]
        [--redis-url redis://127.0.0.1:6379/0]

Everything listens on loopback and stops by itself (about two minutes); every process the
script starts is stopped when it ends, also on Ctrl-C or an exception. HAProxy (Debian's
`haproxy`: scripts/system-packages.sh --drill) checks each instance's /health every second,
queues beyond an instance's 8 threads (maxconn), retries a connection that failed on another
instance, and retries a request whose answer never came only if it is a GET: a grade (POST)
is never sent twice by the balancer. The learners (locust, bench/locustfile.py) send a grade
that failed again with the same version, as a learner taps again.

Checks: each grade answered 2xx has exactly one ReviewLog, no card has two; the failed requests
were all on the killed instance, ended at its death and are no more than it had threads; the
stopped instance failed nothing; throughput after the restart is back (>= 80 % of before) with
the untouched instance's processes the same ones; each task ran exactly once, on one worker,
both workers busy; the import whose worker was killed is failed, undone (no phrase left) and
its learner's import screen says so; each learner due a reminder got exactly one.
"""

import argparse
import contextlib
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import ROOT, setup_django
from review_load import BIN, free_port, learners_for, run_locust, seed

THREADS = 8  # gunicorn.conf.py: 2 workers x 4 threads; HAProxy's maxconn per instance
HAPROXY = """
global
    log stdout format raw local0
    stats socket {stats}
    maxconn 512

defaults
    mode http
    log global
    # accept time, instance, status, method, path, retries, termination state, total ms
    log-format "%Ts.%ms %s %ST %HM %HP %rc %ts %Tt"
    option http-server-close
    timeout connect 2s
    timeout client 40s
    timeout server 35s
    timeout queue 15s
    retries 3
    option redispatch 1
    # Connection failures are retried whatever the method (the request never left); an answer
    # that never came only for GET (below): a grade may have been saved.
    retry-on conn-failure empty-response response-timeout

frontend app
    bind 127.0.0.1:{port}
    default_backend instances

backend instances
    balance leastconn
    http-request disable-l7-retry unless METH_GET
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    # The check waits for a thread like any request: on a busy instance, seconds.
    timeout check 5s
    default-server check inter 1s fall 3 rise 2 maxconn {threads}
{servers}
"""


class Fleet:
    """The processes this drill started, each in a process group of its own, so that a
    SIGKILL takes a whole instance (master and workers) as a machine's death would."""

    def __init__(self, tmp: Path, env: dict):
        self.tmp = tmp
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list, **env: str) -> subprocess.Popen:
        log = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        self.processes[name] = process
        return process

    def app(self, name: str, port: int) -> subprocess.Popen:
        """Start an instance; wait_app() waits for it to answer."""
        conf = ["-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
        # No worker recycling: the untouched instance's processes stay the same ones.
        conf += ["--max-requests", "0"]
        return self.start(name, [BIN / "gunicorn", *conf, "phraseweaver.wsgi"])

    def worker(self, name: str) -> subprocess.Popen:
        command = [sys.executable, "manage.py", "db_worker", "--interval", "0.2"]
        return self.start(name, [*command, "--no-startup-delay", "--worker-id", name])

    def signal(self, name: str, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.processes[name].pid, signum)

    def stop_all(self) -> None:
        for name in self.processes:
            self.signal(name, signal.SIGTERM)
        deadline = time.monotonic() + 25
        for name, process in self.processes.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.signal(name, signal.SIGKILL)
                process.wait()


def wait_app(name: str, port: int) -> None:
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), f"{name} to answer", 60)


def up(stats: Path, names: tuple[str, ...]) -> bool:
    """Whether HAProxy (its stats socket) sends requests to each of these instances."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(stats))
        sock.sendall(b"show stat\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    rows = csv.DictReader(io.StringIO(answer.decode().lstrip("# ")))
    status = {row["svname"]: row["status"] for row in rows}
    return all(status.get(name) == "UP" for name in names)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(condition, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.1)


def process_ids(process: subprocess.Popen) -> set[int]:
    import psutil

    master = psutil.Process(process.pid)
    return {master.pid, *(child.pid for child in master.children())}


def haproxy_log(path: Path) -> list[dict]:
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) != 8 or not fields[0].replace(".", "").isdigit():
            continue  # HAProxy's own messages (a server going down or up)
        at, server, status, method, path_, retries, state, total = fields
        entries.append(
            {
                "at": float(at),
                "server": server,
                "status": int(status),
                "method": method,
                "path": path_,
                "retries": retries,
                "state": state,
                "ended": float(at) + max(int(total), 0) / 1000,
            }
        )
    return entries


def rate(entries: list[dict], start: float, end: float) -> float:
    ok = sum(start <= e["at"] < end and 200 <= e["status"] < 300 for e in entries)
    return ok / max(end - start, 1e-9)


def grade_bookkeeping(grade_log: Path) -> dict:
    """Every card's grade requests (retries included) against its ReviewLog rows."""
    from cards.models import ReviewLog

    attempts = defaultdict(list)
    for line in grade_log.read_text().splitlines():
        card_id, _version, status, _at = line.split()
        attempts[int(card_id)].append(int(status))
    logs = Counter(ReviewLog.objects.values_list("card_id", flat=True))
    problems = []
    unanswered = retried = 0
    for card_id, statuses in attempts.items():
        answered = any(200 <= s < 300 for s in statuses)
        retried += len(statuses) > 1
        if logs[card_id] > 1:
            problems.append(f"card {card_id}: grades {statuses}, {logs[card_id]} ReviewLog rows")
        elif answered and logs[card_id] != 1:
            problems.append(f"card {card_id}: grades {statuses}, no ReviewLog")
        elif not answered:
            unanswered += 1  # the run ended before the retry: saved or not, nobody was told
    problems += [
        f"card {c}: a ReviewLog without a grade request" for c in set(logs) - set(attempts)
    ]
    return {
        "cards": len(attempts),
        "grades answered 2xx": sum(any(200 <= s < 300 for s in v) for v in attempts.values()),
        "grade requests": sum(map(len, attempts.values())),
        "cards graded again after a failure": retried,
        "cards whose grade never got a 2xx": unanswered,
        "problems": problems,
    }


class Learner:
    """One learner's requests through the balancer, as the Mini App sends them."""

    def __init__(self, base: str, init_data: str):
        self.base = base
        self.headers = {"Authorization": f"tma {init_data}", "HX-Request": "true"}

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None if data is None else urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, body, self.headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def import_text(rows: int, tag: str) -> str:
    return "".join(f"{tag} front {i}\t{tag} back {i}\n" for i in range(rows))


def task_drill(fleet: Fleet, base: str, init_data: str, lease: int) -> tuple[list[str], bool]:
    """The workers' part: imports through the balancer, a worker killed mid-import."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from accounts.models import User
    from cards.models import Deck, ImportJob, Phrase

    lines, ok = [], True
    learner = Learner(base, init_data)
    user = json.loads(urllib.parse.parse_qs(init_data)["user"][0])
    owner = User.objects.get(telegram_id=user["id"])
    decks = [Deck.objects.create(owner=owner, name=f"Drill {i}") for i in range(13)]

    # Twelve small imports at once: each task runs once, on one worker, both workers busy.
    for i, deck in enumerate(decks[:12]):
        status, _ = learner.request(
            f"/decks/{deck.pk}/import/", {"text": import_text(200, f"s{i}")}
        )
        assert status < 400, status
    jobs = ImportJob.objects.filter(deck__in=decks[:12])
    wait_until(lambda: not jobs.filter(status__in=ImportJob.ACTIVE).exists(), "the imports", 120)
    results = DBTaskResult.objects.filter(id__in=[j.task_id for j in jobs])
    runs = Counter(len(r.worker_ids) for r in results)
    by_worker = Counter(r.worker_ids[0] for r in results if r.worker_ids)
    done = Counter(j.status for j in jobs)
    phrases = Counter(
        Phrase.objects.filter(import_job__in=jobs).values_list("import_job", flat=True)
    )
    whole = sum(count == 200 for count in phrases.values())
    lines.append(
        f"12 imports of 200 rows: {dict(done)}; task runs per task {dict(runs)}; by worker"
        f" {dict(by_worker)}; imports with all 200 phrases {whole}"
    )
    ok = ok and done == {"done": 12} and runs == {1: 12} and len(by_worker) == 2 and whole == 12

    # A big import; its worker killed once a few batches are in.
    deck = decks[12]
    learner.request(f"/decks/{deck.pk}/import/", {"text": import_text(40_000, "big")})
    job = ImportJob.objects.get(deck=deck)
    wait_until(
        lambda: ImportJob.objects.get(pk=job.pk).done >= 3000, "the big import's batches", 90
    )
    worker = DBTaskResult.objects.get(id=job.task_id).worker_ids[0]
    fleet.signal(worker, signal.SIGKILL)
    killed_at = time.monotonic()
    fleet.processes[worker].wait()
    half = Phrase.objects.filter(import_job=job).count()
    time.sleep(lease + 1)  # the lease runs out; then the learner opens the import screen
    status, page = learner.request(f"/decks/{deck.pk}/import/")
    job.refresh_from_db()
    left = Phrase.objects.filter(import_job=job).count()
    told = "The import stopped before it finished." in page
    task_status = DBTaskResult.objects.get(id=job.task_id).status
    lines.append(
        f"{worker} killed in a 40,000-row import with {half} phrases in; the learner's import"
        f" screen {time.monotonic() - killed_at:.0f} s later: {status}, job {job.status},"
        f" says it stopped: {told}; phrases left {left}; queue record {task_status}"
    )
    ok = (
        ok
        and half > 0
        and job.status == "failed"
        and told
        and left == 0
        and task_status == TaskResultStatus.FAILED
    )
    fleet.worker(worker)  # the machine comes back
    return lines, ok


def reminder_drill(fleet: Fleet, telegram) -> tuple[list[str], bool]:
    """run_periodic on two scheduled machines at the same moment: two reminder tasks, run by
    the two workers at once; every learner due a reminder gets one message."""
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from accounts.models import User
    from bot.reminders import learners_to_remind

    now = timezone.now()
    User.objects.update(
        reminders_enabled=True, reminder_hour=now.hour, time_zone="UTC", bot_can_write=True
    )
    due = set(learners_to_remind(now).values_list("telegram_id", flat=True))
    before = set(DBTaskResult.objects.values_list("id", flat=True))
    command = [sys.executable, "manage.py", "run_periodic"]
    periodic = [fleet.start(f"run_periodic-{i}", command) for i in (1, 2)]
    for process in periodic:
        process.wait(timeout=60)
    reminders = DBTaskResult.objects.exclude(id__in=before).filter(
        task_path="bot.tasks.send_reminders_task"
    )
    finished = (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
    wait_until(lambda: len(reminders.filter(status__in=finished)) == 2, "the reminder tasks", 120)
    results = list(reminders.all())
    sent = Counter(body["chat_id"] for body in telegram.calls("sendMessage"))
    once = sum(sent[chat] == 1 for chat in due)
    overlap = len(results) == 2 and max(r.started_at for r in results) < min(
        r.finished_at for r in results
    )
    lines = [
        f"reminders: {len(due)} learners due one; run_periodic twice at once gave"
        f" {len(results)} reminder tasks on {sorted(w for r in results for w in r.worker_ids)}"
        f" (running at the same time: {overlap}), {[r.status for r in results]}; learners"
        f" reminded exactly once {once}, twice or more {sum(c > 1 for c in sent.values())},"
        f" not due but reminded {len(set(sent) - due)}"
    ]
    ok = len(due) > 0 and once == len(due) and set(sent) == due and len(results) == 2
    return lines, ok


def max_connections(database_url: str, stop: threading.Event, seen: list[int]) -> None:
    """Sample the database's connections (pg_stat_activity), but for its own, until `stop`."""
    import psycopg

    parts = urlsplit(database_url)
    database = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True) as conn:
        while not stop.is_set():
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            ).fetchone()
            seen.append(count)
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--pool-size", type=int, default=0, help="DATABASE_POOL_SIZE")
    args = parser.parse_args()
    lease = 8
    # A SIGTERM to the drill stops it as Ctrl-C does: the finally below stops the fleet.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, str(ROOT))
    from bot.tests.fake_telegram import FakeTelegramServer

    telegram_server = FakeTelegramServer()
    telegram = telegram_server.__enter__()
    env = setup_django(
        args.database_url,
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX=f"drill-{os.getpid()}",
        PLAIN_STATIC_STORAGE="true",
        DATABASE_POOL_SIZE=str(args.pool_size),
        IMPORT_JOB_LEASE_SECONDS=str(lease),
        TELEGRAM_API_URL=telegram.url,
    )
    tmp = Path(tempfile.mkdtemp(prefix="pw-drill-scale-"))
    before, during_stop, during_kill, after = 20.0, 10.0, 10.0, 40.0
    total = before + during_stop + during_kill + after
    # Enough learners for 600 requests a second (the loop serves about 300 here): one who runs
    # out of cards hands over to the next, and some must still be due a reminder at the end.
    init_data = seed(learners_for(args.users, int(600 * (total + 30))))
    ports = {f"app{i}": free_port() for i in (1, 2, 3)}
    front = free_port()
    servers = "\n".join(f"    server {name} 127.0.0.1:{port}" for name, port in ports.items())
    config = tmp / "haproxy.cfg"
    stats = tmp / "haproxy.sock"
    config.write_text(HAPROXY.format(port=front, threads=THREADS, servers=servers, stats=stats))
    fleet = Fleet(tmp, env)
    events: dict[str, float] = {}
    seen: list[int] = []
    sampling = threading.Event()
    errors: list[BaseException] = []
    try:
        subprocess.run(["haproxy", "-c", "-q", "-f", config], check=True)
        for name, port in ports.items():
            fleet.app(name, port)
        for name, port in ports.items():
            wait_app(name, port)
        for name in ("worker-1", "worker-2"):
            fleet.worker(name)
        fleet.start("haproxy", ["haproxy", "-db", "-f", config])
        base = f"http://127.0.0.1:{front}"
        wait_until(lambda: answers(base + "/health"), "HAProxy", 30)
        wait_until(lambda: up(stats, tuple(ports)), "HAProxy to use every instance", 30)
        survivor = process_ids(fleet.processes["app3"])
        sampler = threading.Thread(target=max_connections, args=(args.database_url, sampling, seen))
        sampler.start()

        def app1_exit(process: subprocess.Popen) -> None:
            process.wait(timeout=40)
            events["app1 exit"] = time.time()

        def faults():
            try:
                time.sleep(before)
                events["stop"] = time.time()
                fleet.signal("app1", signal.SIGTERM)
                print("app1 stopped (SIGTERM)", flush=True)
                # When it exits, not when this thread next looks (after the kill).
                exited = threading.Thread(target=app1_exit, args=(fleet.processes["app1"],))
                exited.start()
                time.sleep(during_stop)
                events["kill"] = time.time()
                fleet.signal("app2", signal.SIGKILL)
                print("app2 killed (SIGKILL)", flush=True)
                exited.join(timeout=30)
                fleet.processes["app2"].wait(timeout=30)
                time.sleep(during_kill)
                events["restart"] = time.time()
                for name in ("app1", "app2"):
                    fleet.app(name, ports[name])
                for name in ("app1", "app2"):
                    wait_app(name, ports[name])
                wait_until(lambda: up(stats, ("app1", "app2")), "HAProxy to use them again", 30)
                events["back"] = time.time()
                print("app1 and app2 back", flush=True)
            except BaseException as error:  # the drill reports it, after the load
                errors.append(error)

        drill = threading.Thread(target=faults)
        events["load"] = time.time()
        drill.start()
        grade_log = tmp / "grades.txt"
        figures = run_locust(
            "review",
            args.users,
            10**9,
            front,
            init_data,
            run_time=f"{int(total)}s",
            extra_env={"BENCH_GRADE_LOG": str(grade_log), "BENCH_RETRY_GRADES": "true"},
        )
        events["end"] = time.time()
        drill.join()
        sampling.set()
        if errors:
            raise errors[0]
        untouched = process_ids(fleet.processes["app3"]) == survivor
        books = grade_bookkeeping(grade_log)
        task_lines, tasks_ok = task_drill(fleet, base, init_data[-1], lease)
        reminder_lines, reminders_ok = reminder_drill(fleet, telegram)
    finally:
        sampling.set()
        fleet.stop_all()
        telegram_server.__exit__(None, None, None)

    entries = haproxy_log(tmp / "haproxy.log")
    load = [e for e in entries if events["load"] <= e["at"] < events["end"]]
    failed = [e for e in load if not 200 <= e["status"] < 400]
    # Sent to app2 before its processes were gone, ended by its death.
    on_killed = [
        e for e in failed if e["server"] == "app2" and 0 <= e["ended"] - events["kill"] < 1
    ]
    steady = rate(load, events["load"] + 5, events["stop"])
    one_stopped = rate(load, events["stop"], events["kill"])
    one_left = rate(load, events["kill"] + 1, events["restart"])
    recovered = rate(load, events["back"], events["end"] - 1)
    shares = Counter(e["server"] for e in load if e["at"] >= events["back"])
    print(
        f"\ndrill: 3 instances (2 workers x 4 threads each) behind HAProxy, 2 task workers,"
        f" {args.users} learners, DATABASE_POOL_SIZE={args.pool_size}; logs in {tmp}"
    )
    print(
        f"requests {figures['requests']}, failed (client) {figures['errors']}, failed"
        f" (HAProxy) {len(failed)}, of which in flight on app2 when it was killed"
        f" {len(on_killed)} (target: all, at most {THREADS}); on app1 (SIGTERM)"
        f" {sum(e['server'] == 'app1' for e in failed)} (target 0)"
    )
    for entry in failed:
        print(f"    {entry}")
    for reason, count in figures["failures"].items():
        print(f"    client: {count}x {reason}")
    # A grade whose keep-alive connection the balancer closed as app2 died never reaches
    # HAProxy's log (the client gets no answer: status 0), so the clients' own log counts too.
    failed_grades = [
        line.split() for line in grade_log.read_text().splitlines() if line.split()[2] != "200"
    ]
    at_kill = [g for g in failed_grades if 0 <= float(g[3]) - events["kill"] < 1]
    print(
        f"grades that failed for the client {len(failed_grades)}, within 1 s of app2's death"
        f" {len(at_kill)}; client failures other than grades"
        f" {figures['errors'] - len(failed_grades)} (target 0)"
    )
    print(
        f"throughput (2xx/s): before {steady:.1f}; app1 stopping {one_stopped:.1f}; app1 and app2"
        f" down {one_left:.1f}; after the restart {recovered:.1f} ({recovered / steady:.0%} of"
        f" before, target >= 80 %); share after it {dict(shares)}"
    )
    print(
        f"app1 took {events['app1 exit'] - events['stop']:.1f} s to stop; app3's processes"
        f" untouched: {untouched}; PostgreSQL connections seen at most {max(seen, default=0)}"
    )
    timeline = ", ".join(
        f"{k} {v - events['load']:.1f}" for k, v in sorted(events.items(), key=lambda kv: kv[1])
    )
    print(f"timeline (s): {timeline}")
    problems = books.pop("problems")
    print(f"grades: {books}; problems {len(problems)}")
    for problem in problems[:20]:
        print("    " + problem)
    for line in task_lines + reminder_lines:
        print(line)
    ok = (
        not problems
        and len(failed) == len(on_killed)
        and figures["errors"] == len(failed_grades) == len(at_kill) <= THREADS
        and recovered >= 0.8 * steady
        and untouched
        and all(shares[name] > 0 for name in ports)
        and tasks_ok
        and reminders_ok
    )
    print("targets:", "met" if ok else "NOT MET")


if __name__ == "__main__":
    main()
