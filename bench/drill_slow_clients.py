"""Fault drill: slow clients must not block other learners.

Starts gunicorn as review_load.py does (2 workers x 4 gthread threads), then times a learner's
requests (GET /bench/floor/ with initData) with no slow clients, with --slow connections that
connect and send nothing, and with --slow connections that send half a request and stall
(slowloris). --slow defaults to 24: three times the server's threads.

    python bench/drill_slow_clients.py [--slow 24]
"""

import argparse
import socket
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from common import setup_django
from review_load import free_port, seed, start_gunicorn, stop

REQUESTS = 10
LIMIT_MS = 2000  # a learner waiting longer than this is blocked, not slowed


def learner_requests(port: int, init_data: str) -> list[float]:
    times = []
    for _ in range(REQUESTS):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/bench/floor/",
            headers={"Authorization": f"tma {init_data}", "HX-Request": "true"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError:
            times.append(float("inf"))  # no answer within 10 s
            continue
        times.append((time.monotonic() - started) * 1000)
    return times


def slow_connections(port: int, count: int, first_bytes: bytes) -> list[socket.socket]:
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        if first_bytes:
            sock.sendall(first_bytes)
        held.append(sock)
    time.sleep(0.5)  # let the server notice them
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pw_bench")
    parser.add_argument("--slow", type=int, default=24)
    args = parser.parse_args()
    env = setup_django(args.database_url, BENCHMARK_FLOOR_VIEW="true", PLAIN_STATIC_STORAGE="true")
    init_data = seed(1, 1)[0]
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="pw-drill-slow-"), "gunicorn.log")
    server = start_gunicorn(env, port, log)
    phases = {
        "no slow clients": b"",
        f"{args.slow} silent connections": b"",
        f"{args.slow} half-sent requests": b"GET /bench/floor/ HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    }
    ok = True
    try:
        print(f"{REQUESTS} learner requests per phase; latency in ms")
        for number, (name, first_bytes) in enumerate(phases.items()):
            held = slow_connections(port, args.slow, first_bytes) if number else []
            times = learner_requests(port, init_data)
            closed = sum(1 for sock in held if _closed_by_server(sock))
            for sock in held:
                sock.close()
            blocked = sum(t > LIMIT_MS for t in times)
            ok = ok and not blocked
            print(
                f"{name:<28} median {statistics.median(times):>8.0f}  slowest {max(times):>8.0f}"
                f"  blocked (> {LIMIT_MS} ms) {blocked}"
                + (
                    f"  slow connections the server had closed: {closed}/{len(held)}"
                    if held
                    else ""
                )
            )
    finally:
        stop(server)
    print("targets:", "met" if ok else "NOT MET", f"(gunicorn log {log})")


def _closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


if __name__ == "__main__":
    main()
