"""The deployment files agree with each other and with the app, checked without Docker or Fly.

The smoke test at the end does here what the Dockerfile and Fly do: a fresh virtual environment
from requirements.txt, the build steps with no secrets, migrate against PostgreSQL, then gunicorn
with the real gunicorn.conf.py and production settings, asked over HTTP.
"""

import http.client
import importlib.util
import json
import logging
import os
import re
import runpy
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from datetime import timedelta
from fnmatch import fnmatch
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from accounts import initdata
from phraseweaver.staticfiles import minified

ROOT = Path(__file__).resolve().parents[2]
FLY = tomllib.loads((ROOT / "fly.toml").read_text())
SECRETS = {
    "SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DATABASE_URL",
    "REDIS_URL",
}
PUBLIC_HOST = urlsplit(FLY["env"]["PUBLIC_URL"]).hostname
# What Fly's health prober sends as Host: the machine's private address.
PROBER_HOST = "172.19.0.5:8000"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def gunicorn_config(**env) -> dict:
    """gunicorn.conf.py's settings as gunicorn would read them, under the given environment."""
    saved = dict(os.environ)
    try:
        for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
            os.environ.pop(name, None)
        os.environ.update(env)
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def production_env(**extra) -> dict:
    """fly.toml's [env] plus stand-ins for the secrets, as a Fly machine sees its environment."""
    return {
        "PATH": os.environ["PATH"],
        **FLY["env"],
        "SECRET_KEY": secrets.token_urlsafe(50),
        "TELEGRAM_BOT_TOKEN": "4242:smoke-test-token",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "DATABASE_URL": "postgres://pw:secret@phraseweaver-db.flycast:5432/phraseweaver?sslmode=disable",
        **extra,
    }


# fly.toml, gunicorn.conf.py and the Dockerfile agree


def test_fly_toml_names_the_app_and_its_region():
    assert FLY["app"] == "phraseweaver"
    assert FLY["primary_region"]


def test_fly_proxies_to_the_port_gunicorn_binds():
    port = FLY["http_service"]["internal_port"]
    assert gunicorn_config(PORT=FLY["env"]["PORT"])["bind"] == f"0.0.0.0:{port}"
    assert gunicorn_config()["bind"] == f"0.0.0.0:{port}"
    assert ("EXPOSE", str(port)) in dockerfile_instructions()


def test_gunicorn_is_sized_for_a_small_shared_cpu_machine():
    config = gunicorn_config()
    assert config["worker_class"] == "phraseweaver.gunicorn_workers.ThreadWorker"  # gthread's
    assert (config["workers"], config["threads"]) == (2, 4)
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["worker_tmp_dir"] == "/dev/shm"
    assert config["timeout"] == 30
    assert config["accesslog"] == "-"
    assert config["graceful_timeout"] < int(FLY["kill_timeout"].removesuffix("s"))


def test_gunicorn_reads_its_sizes_from_the_environment():
    config = gunicorn_config(PORT="9000", WEB_CONCURRENCY="3", GUNICORN_THREADS="8")
    assert (config["bind"], config["workers"], config["threads"]) == ("0.0.0.0:9000", 3, 8)


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_gunicorn_size_stops_with_one_line_naming_it(value):
    with pytest.raises(SystemExit, match=r"^Configuration error: WEB_CONCURRENCY must be"):
        gunicorn_config(WEB_CONCURRENCY=value)


def access_log_line(config: dict, environ: dict) -> str:
    """The line gunicorn's own logger writes for this request under gunicorn.conf.py."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    cfg = Config()
    for name in ("accesslog", "access_log_format"):
        if name in config:  # else gunicorn's default
            cfg.set(name, config[name])
    logger = Logger(cfg)
    captured = []
    handler = logging.Handler()
    handler.emit = lambda record: captured.append(record.getMessage())
    logger.access_log.addHandler(handler)
    try:
        headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items()
                   if key.startswith("HTTP_")]  # fmt: skip
        response = SimpleNamespace(status="200 OK", sent=42, headers=[])
        logger.access(response, SimpleNamespace(headers=headers), environ, timedelta(0, 0, 5))
    finally:
        logger.access_log.removeHandler(handler)
    [line] = captured
    return line


# What the WSGI module holds once imported: gunicorn's master imports it and forks the workers.
LOADED_BEFORE_THE_FORK = """
import json, sys
import phraseweaver.wsgi
from django.core.cache import caches
from django.db import connection
from django.template import engines
from django.utils.translation import trans_real
from phraseweaver.warmup import project_templates
cached = engines["django"].engine.template_loaders[0].loaders[0].get_template_cache
print(json.dumps({
    "modules": sorted(sys.modules),
    "languages": sorted(trans_real._translations),
    "templates": project_templates(),
    "cached": sorted(name for name in cached if isinstance(name, str)),
    "database_connected": connection.connection is not None,
    "redis_client": caches["default"]._client is not None,
}))
"""


def test_the_wsgi_module_loads_what_requests_need_before_gunicorn_forks_and_opens_nothing():
    result = subprocess.run(
        [sys.executable, "-c", LOADED_BEFORE_THE_FORK],
        cwd=ROOT,
        env=production_env(REDIS_URL="redis://pw-cache.internal:6379/0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    # The URLconf with its views, and the cache's client with the redis package.
    assert {"phraseweaver.urls", "cards.views.review", "django_redis.client.default"} <= set(
        loaded["modules"]
    )
    assert {"en", "ru"} <= set(loaded["languages"])
    assert "cards/review.html" in loaded["templates"]
    assert set(loaded["templates"]) <= set(loaded["cached"])
    # A connection opened in the master would be shared by every worker forked from it.
    assert not loaded["database_connected"] and not loaded["redis_client"]


def test_the_access_log_leaves_out_query_strings_tokens_and_init_data():
    secret, init_data = "signed-link-token-secret", "query_id=1&user=%7B%7D&hash=init-data-hash"
    line = access_log_line(
        gunicorn_config(),
        {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"/decks/7/export/?format=csv&token={secret}",
            "PATH_INFO": "/decks/7/export/",
            "QUERY_STRING": f"format=csv&token={secret}",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "172.16.0.9",
            "HTTP_AUTHORIZATION": f"tma {init_data}",
            "HTTP_REFERER": f"https://phraseweaver.fly.dev/decks/7/export/?token={secret}",
            "HTTP_USER_AGENT": "TelegramBot-like",
        },
    )
    assert '"GET /decks/7/export/ HTTP/1.1" 200 42' in line
    assert secret not in line
    assert "init-data-hash" not in line and "query_id" not in line


def test_fly_env_matches_gunicorns_defaults_and_holds_no_secret():
    config = gunicorn_config(**FLY["env"])
    assert (config["workers"], config["threads"]) == (2, 4)
    assert not SECRETS & set(FLY["env"])


def test_the_release_command_migrates_the_database():
    command = shlex.split(FLY["deploy"]["release_command"])
    assert command == ["python", "manage.py", "migrate", "--noinput"]
    assert (ROOT / "manage.py").is_file()


def test_fly_serves_over_https_and_checks_liveness():
    service = FLY["http_service"]
    assert service["force_https"] is True
    assert service["auto_start_machines"] is True
    assert service["auto_stop_machines"] in ("stop", "suspend")
    assert service["min_machines_running"] >= 1
    (check,) = service["checks"]
    assert (check["method"], check["path"]) == ("GET", "/healthz")
    assert FLY["vm"] == [{"memory": "1gb", "cpu_kind": "shared", "cpus": 1}]


def test_fly_runs_the_image_s_command_beside_a_task_worker():
    cmd = [json.loads(args) for name, args in dockerfile_instructions() if name == "CMD"]
    assert FLY["processes"]["app"].split() == cmd[0]
    assert FLY["processes"]["worker"].startswith("python manage.py db_worker")
    assert FLY["http_service"]["processes"] == ["app"]


def test_the_health_check_path_answers_whatever_the_host(client):
    # No database fixture: the liveness check must not touch the database either.
    response = client.get(FLY["http_service"]["checks"][0]["path"], HTTP_HOST=PROBER_HOST)
    assert response.status_code == 200


def test_the_image_starts_gunicorn_on_the_wsgi_module():
    cmd = [json.loads(args) for name, args in dockerfile_instructions() if name == "CMD"]
    assert cmd == [["gunicorn", "-c", "gunicorn.conf.py", "phraseweaver.wsgi"]]
    assert (ROOT / "gunicorn.conf.py").is_file()
    assert importlib.util.find_spec("phraseweaver.wsgi") is not None
    from phraseweaver.wsgi import application

    assert callable(application)
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^gunicorn==", requirements, re.M)


def test_the_image_is_built_without_secrets_and_runs_as_a_user():
    instructions = dockerfile_instructions()
    base = next(args for name, args in instructions if name == "FROM")
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    copies = [args for name, args in instructions if name == "COPY"]
    assert copies.index("requirements.txt .") < copies.index(". .")
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "gettext" in runs
    build = next(args for name, args in instructions if "collectstatic" in args)
    assert "SECRET_KEY=build-only" in build and "compilemessages" in build
    assert "collectstatic --noinput" in build
    assert not any(name in ("ENV", "ARG") and "SECRET" in args for name, args in instructions)
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_build_steps_load_the_settings_with_debug_off_and_build_only_values():
    build_env = dockerfile_build_env()
    assert set(build_env) >= {"SECRET_KEY", "TELEGRAM_BOT_TOKEN", "PUBLIC_URL"}
    assert all("build-only" in value for value in build_env.values())
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "phraseweaver.settings"}
        | build_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".venv", "db.sqlite3", "staticfiles"):
        assert any(fnmatch(path, pattern) for pattern in ignored), path


# Production settings


def settings_under(env: dict) -> dict:
    """Some settings as Django computes them under `env`, read in a fresh interpreter."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({name: getattr(settings, name) for name in ["
        "'DEBUG', 'ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS', 'SECURE_SSL_REDIRECT', "
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'STORAGES']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "phraseweaver.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_come_from_fly_toml_and_the_secrets():
    settings = settings_under(production_env())
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == [PUBLIC_HOST]
    assert settings["CSRF_TRUSTED_ORIGINS"] == [FLY["env"]["PUBLIC_URL"]]
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    storage = settings["STORAGES"]["staticfiles"]["BACKEND"]
    assert storage == "phraseweaver.staticfiles.MinifiedStaticFilesStorage"  # whitenoise, minified


def test_check_deploy_finds_nothing_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(DATABASE_URL="postgres://pw:secret@db.internal:5432/phraseweaver"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # security.W002 (X-Frame-Options) is silenced on purpose: Telegram Web frames the app.
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."
    assert result.stderr == ""


# The smoke test: build and run the app as the image does, then ask it over HTTP.


def dockerfile_build_env() -> dict[str, str]:
    """The build-only settings the Dockerfile's collectstatic step sets (NAME=value words)."""
    build = next(args for name, args in dockerfile_instructions() if "collectstatic" in args)
    assignments = build.split(" sh -c ", 1)[0].split()
    return dict(word.split("=", 1) for word in assignments if "=" in word)


BUILD_ENV = dockerfile_build_env()


def run(command, *, cwd, env, timeout=300):
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def build_context(destination: Path) -> Path:
    """The project as `COPY . .` sees it: .dockerignore's patterns left out."""
    patterns = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignore(_directory, names):
        return [name for name in names if any(fnmatch(name, p) for p in patterns)]

    app = destination / "app"
    shutil.copytree(ROOT, app, ignore=ignore)
    return app


def postgres_server() -> dict:
    """Where the smoke test's own database goes: DATABASE_URL's server when it is PostgreSQL,
    else the machine's PostgreSQL on 127.0.0.1:5432."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme.split("+")[0] in ("postgres", "postgresql"):
        return {
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password or "",
        }
    return {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}


@pytest.fixture(scope="module")
def smoke_database():
    server = postgres_server()
    name = f"pw_smoke_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **server)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"the smoke test needs PostgreSQL at {server['host']}:{server['port']}: {error}"
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    auth = server["user"] + (f":{server['password']}" if server["password"] else "")
    yield f"postgres://{auth}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """What the Dockerfile builds: dependencies in a fresh environment, then static files and
    translations with build-only stand-ins for the secrets."""
    workdir = tmp_path_factory.mktemp("image")
    venv = workdir / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=workdir, env=os.environ)
    python = str(venv / "bin" / "python")
    # pip's own cache and configuration: only the environment is new, not the downloads.
    run([python, "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=ROOT, env=os.environ)
    app = build_context(workdir)
    build_env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", **BUILD_ENV}
    run(["python", "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=app, env=build_env)
    run(["python", "manage.py", "compilemessages", "-v", "0"], cwd=app, env=build_env)
    return {"app": app, "bin": venv / "bin"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url, **headers):
    """(status, headers, body) without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def smoke_env(smoke_database: str, image: dict, **extra: str) -> dict:
    """Production settings on the smoke database, with the image's programs on the PATH."""
    redis_url = os.environ.get("REDIS_URL", "").startswith("redis") and os.environ["REDIS_URL"]
    return production_env(
        PATH=f"{image['bin']}:{os.environ['PATH']}",
        DATABASE_URL=smoke_database,
        REDIS_URL=redis_url or "redis://127.0.0.1:6379/0",
        CACHE_KEY_PREFIX=f"smoke-{secrets.token_hex(4)}",
        **extra,
    )


def start_gunicorn(image: dict, env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn as the image's CMD starts it, with the real gunicorn.conf.py (only the address
    differs: loopback, a free port), once it answers; and its URL."""
    port = free_port()
    command = ["gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    with log.open("ab") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [*command, "phraseweaver.wsgi"],
            cwd=image["app"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        try:
            if get(f"{base}/healthz")[0] == 200:
                return process, base
        except OSError:
            pass
        assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
        time.sleep(0.2)


def stop_gunicorn(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def server(smoke_database, image):
    """gunicorn as the machine runs it: migrated by the release command, then started by CMD."""
    env = smoke_env(smoke_database, image)
    run(shlex.split(FLY["deploy"]["release_command"]), cwd=image["app"], env=env)
    log = image["app"].parent / "gunicorn.log"
    process, base = start_gunicorn(image, env, log)
    try:
        yield {"url": base, "app": image["app"], "log": log}
    finally:
        stop_gunicorn(process)


PROXIED = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}


@pytest.mark.smoke
def test_smoke_liveness_answers_the_prober(server):
    status, _headers, body = get(f"{server['url']}/healthz", Host=PROBER_HOST)
    assert (status, body) == (200, b"ok")
    # Each worker writes its line once forked; the first may answer before the second has.
    deadline = time.monotonic() + 10
    while server["log"].read_text().count("Booting worker with pid") < 2:
        assert time.monotonic() < deadline, server["log"].read_text()
        time.sleep(0.1)
    log = server["log"].read_text()
    assert "Using worker: phraseweaver.gunicorn_workers.ThreadWorker" in log
    assert log.count("Booting worker with pid") == 2
    assert '"GET /healthz HTTP/1.1" 200' in log  # the access log goes to standard output


@pytest.mark.smoke
def test_smoke_the_access_log_names_the_path_but_not_a_links_token(server):
    url = f"{server['url']}/decks/1/export/?format=csv&token=smoke-secret-token"
    assert get(url, **PROXIED)[0] == 403
    logged = '"GET /decks/1/export/ HTTP/1.1" 403'
    deadline = time.monotonic() + 10  # the worker writes the line just after the response
    while logged not in server["log"].read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server["log"].read_text()
    assert logged in log
    assert "smoke-secret-token" not in log


@pytest.mark.smoke
def test_smoke_readiness_sees_the_database_and_the_cache(server):
    status, _headers, body = get(f"{server['url']}/health", **PROXIED)
    assert status == 200, body
    assert json.loads(body) == {"status": "ok", "failed": []}


@pytest.mark.smoke
def test_smoke_static_files_have_hashed_names_and_cache_for_long(server):
    manifest = json.loads((server["app"] / "staticfiles" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", hashed)
    status, headers, body = get(f"{server['url']}/static/{hashed}", **PROXIED)
    assert status == 200
    # What the image serves is the minified copy of our stylesheet.
    assert body == minified("css/app.css", (ROOT / "static" / "css" / "app.css").read_bytes())
    assert len(body) < len((ROOT / "static" / "css" / "app.css").read_bytes())
    max_age = int(re.search(r"max-age=(\d+)", headers["Cache-Control"]).group(1))
    assert max_age >= 365 * 24 * 3600
    _status, _headers, page = get(f"{server['url']}/", **PROXIED)
    assert f"/static/{hashed}".encode() in page


@pytest.mark.smoke
def test_smoke_pages_carry_the_security_headers(server):
    status, headers, _body = get(f"{server['url']}/", **PROXIED)
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://web.telegram.org" in policy
    assert headers.get("X-Frame-Options", "").upper() != "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts


@pytest.mark.smoke
def test_smoke_plain_http_from_the_proxy_is_redirected_to_https(server):
    status, headers, _body = get(f"{server['url']}/", Host=PUBLIC_HOST)
    assert status == 301
    assert headers["Location"] == f"https://{PUBLIC_HOST}/"
    assert "Strict-Transport-Security" not in headers


@pytest.mark.smoke
def test_smoke_unknown_hosts_are_refused(server):
    status, _headers, _body = get(f"{server['url']}/", **{**PROXIED, "Host": "evil.example"})
    assert status == 400


@pytest.mark.smoke
def test_smoke_a_learner_is_served_in_their_language(server):
    """initData, the database and the compiled translations, together: a Russian learner opens
    a share link that does not exist."""
    user = {"id": 4242001, "first_name": "Olga", "language_code": "ru"}
    init_data = initdata.sign_user(user, production_env()["TELEGRAM_BOT_TOKEN"])
    headers = {**PROXIED, "Authorization": f"tma {init_data}", "HX-Request": "true"}
    status, _headers, body = get(f"{server['url']}/shared/no-such-token/", **headers)
    assert status == 404
    assert "Ссылка не работает" in body.decode()


@pytest.mark.smoke
def test_smoke_a_stopping_instance_refuses_new_connections_and_answers_those_in_flight(
    smoke_database, image
):
    """Fly stops a machine with SIGTERM: from then on its proxy must be refused (and try
    another machine), never left with a connection that no worker will take."""
    log = image["app"].parent / "gunicorn-stopping.log"
    process, base = start_gunicorn(image, smoke_env(smoke_database, image), log)
    port = urlsplit(base).port
    try:
        # A worker holds this connection (it answered on it), and a request is on its way on
        # it, its last line not sent yet: the worker must finish it.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/healthz")
        assert connection.getresponse().read() == b"ok"
        in_flight = connection.sock
        in_flight.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        os.kill(process.pid, signal.SIGTERM)  # the master, as Fly's kill_signal
        # Well within graceful_timeout (20 s), which the worker may take to finish.
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            except ConnectionRefusedError:
                break
            assert time.monotonic() < deadline, "the stopping instance still took connections"
            time.sleep(0.1)
        in_flight.sendall(b"\r\n")
        answer = in_flight.makefile("rb").read().decode()
        assert answer.startswith("HTTP/1.1 200 OK\r\n")
        assert "Connection: close\r\n" in answer
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            stop_gunicorn(process)
