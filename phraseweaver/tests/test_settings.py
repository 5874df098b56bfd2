"""Settings come from the environment; mistakes stop start-up with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from phraseweaver.environment import cache_config, database_config

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_LIKE = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-secret-key-for-these-tests-only-0123456789",
    "TELEGRAM_BOT_TOKEN": "4242:test-bot-token",
    "PUBLIC_URL": "https://phraseweaver.example.com",
    "PATH": os.environ["PATH"],
}


def manage_check(**env) -> subprocess.CompletedProcess:
    environment = {**PRODUCTION_LIKE, **env}
    environment = {key: value for key, value in environment.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_passes_with_the_required_settings():
    result = manage_check()
    assert result.returncode == 0, result.stderr


# Without PUBLIC_URL the bot's web_app buttons would point at "/", which Telegram refuses.
@pytest.mark.parametrize("variable", ["SECRET_KEY", "TELEGRAM_BOT_TOKEN", "PUBLIC_URL"])
def test_a_missing_secret_stops_start_up_with_one_line_naming_it(variable):
    result = manage_check(**{variable: None})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Configuration error: {variable} is not set (required when DEBUG is off)"
    ]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("TELEGRAM_INIT_DATA_MAX_AGE", "a day"),
        ("TELEGRAM_INIT_DATA_MAX_AGE", "0"),
        ("SECURE_HSTS_SECONDS", "1.5"),
        ("DATABASE_URL", "mysql://localhost/phraseweaver"),
        ("REDIS_URL", "memcached://localhost"),
        ("PUBLIC_URL", "phraseweaver.fly.dev"),
        ("PUBLIC_URL", "http://phraseweaver.fly.dev"),
        ("TASKS_BACKEND", "celery"),
        ("IMPORT_JOB_LEASE_SECONDS", "0"),
    ],
)
def test_a_malformed_value_stops_start_up_with_one_line_naming_it(variable, value):
    result = manage_check(**{variable: value})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Configuration error: {variable} ")


def test_debug_runs_without_any_secret():
    result = manage_check(DEBUG="1", SECRET_KEY=None, TELEGRAM_BOT_TOKEN=None, PUBLIC_URL=None)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgres://pw:secret@db.internal:5433/phraseweaver",
        "postgresql://pw:secret@db.internal:5433/phraseweaver",
        "postgresql+asyncpg://pw:secret@db.internal:5433/phraseweaver",
        "postgres+asyncpg://pw:secret@db.internal:5433/phraseweaver",
    ],
)
def test_every_postgres_url_form_selects_psycopg(url):
    config = database_config(url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "phraseweaver")
    assert (config["USER"], config["PASSWORD"]) == ("pw", "secret")
    assert config["CONN_HEALTH_CHECKS"] is True


def test_flys_attach_url_keeps_its_sslmode():
    config = database_config("postgres://u:p@app-db.flycast:5432/app?sslmode=disable")
    assert config["OPTIONS"]["sslmode"] == "disable"


def test_an_unknown_database_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_config("mysql://localhost/db")


def test_no_redis_url_means_the_local_memory_cache():
    assert cache_config("")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://user:pw@redis.example:6380"])
def test_redis_urls_select_django_redis_that_fails_soft_and_fast(url):
    config = cache_config(url)
    assert config["BACKEND"] == "django_redis.cache.RedisCache"
    assert config["LOCATION"] == url
    assert config["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
    assert 1 <= config["OPTIONS"]["SOCKET_TIMEOUT"] <= 2
    assert 1 <= config["OPTIONS"]["SOCKET_CONNECT_TIMEOUT"] <= 2


def test_sessions_live_in_the_database(settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
