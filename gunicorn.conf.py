"""gunicorn for a 1 GB shared-CPU Fly machine (docs/deploy.md); the environment can resize it.

gthread: most of a request's time is spent waiting on PostgreSQL, Redis or Telegram, and threads
wait cheaply. Shared CPUs are throttled after their burst, so a few processes are enough.
"""

import os


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        # SystemExit, not an exception: gunicorn would wrap an exception in a traceback.
        raise SystemExit(f"Configuration error: {name} must be a positive integer, not {raw!r}")
    return int(raw)


# Fly's proxy reaches the machine over IPv4; fly.toml's internal_port must match PORT.
bind = f"0.0.0.0:{env_int('PORT', 8000)}"
# gthread, refusing new connections as soon as it stops (phraseweaver/gunicorn_workers.py).
worker_class = "phraseweaver.gunicorn_workers.ThreadWorker"
workers = env_int("WEB_CONCURRENCY", 2)
threads = env_int("GUNICORN_THREADS", 4)

# Recycle workers now and then (jitter: not all at once) so slow leaks never add up.
max_requests = 1000
max_requests_jitter = 100
# The app is imported once, by the master, and every worker is forked from it: a recycled or
# restarted worker does not import Django and the app again (0.55 s of CPU each time, every
# 1,000 requests: the floor's CPU per request 3.3-4.3 ms against 3.9-4.9 without, with 10 %
# more of it served; bench/README.md), and the workers share those pages. The WSGI module also
# loads what requests load lazily (phraseweaver/warmup.py: URLconf, templates, catalogs, the
# cache's client; 0.36 s more a worker). No connection is opened at import, so none is shared
# by the forks. A code change needs a restart, not a HUP.
preload_app = True
# The heartbeat file in memory: a disk-backed /tmp can stall workers into timeouts.
worker_tmp_dir = "/dev/shm"
timeout = 30
# Fly sends SIGTERM and waits kill_timeout (fly.toml) before killing: finish requests first.
graceful_timeout = 20

accesslog = "-"
# gunicorn's default, without the query string (%(U)s is the path alone, where %(r)s quoted the
# whole request line) and without the referer (a URL, query and all): a signed download link's
# token is in its query, and no token may reach a log line. The Authorization header, which
# holds initData, is never among the atoms logged.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
errorlog = "-"
