"""Settings come from the environment; mistakes stop start-up with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from phraseweaver.environment import cache_config, database_config, media_storage

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
        ("DATABASE_POOL_SIZE", "-1"),
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


def test_without_a_pool_size_each_thread_keeps_its_own_connection():
    config = database_config("postgres://u:p@db.internal:5432/pw")
    assert config["CONN_MAX_AGE"] == 600
    assert "pool" not in config["OPTIONS"]


def test_a_pool_size_hands_connections_from_djangos_pool_capped_per_process():
    config = database_config("postgres://u:p@db.internal:5432/pw", pool_size=3)
    # Django refuses a pool beside persistent connections.
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"]["pool"]["max_size"] == 3
    # A thread that finds every connection taken waits less than gunicorn's 30 s timeout.
    assert config["OPTIONS"]["pool"]["timeout"] < 30


def test_postgresql_queries_are_prepared_unless_turned_off():
    options = database_config("postgres://u:p@db.internal:5432/pw")["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    off = database_config("postgres://u:p@db.internal:5432/pw", prepared_statements=False)
    assert "server_side_binding" not in off["OPTIONS"]
    assert "prepare_threshold" not in off["OPTIONS"]
    assert "prepare_threshold" not in database_config("sqlite:///tmp/x.sqlite3")["OPTIONS"]


def test_sqlite_has_no_pool_whatever_the_pool_size():
    assert "pool" not in database_config("sqlite:///tmp/x.sqlite3", pool_size=3)["OPTIONS"]


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


def test_a_secret_can_come_from_a_file_named_by_its_file_variable(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("a-long-secret-key-read-from-a-mounted-file-0123456789\n")

    result = manage_check(SECRET_KEY=None, SECRET_KEY_FILE=str(secret))

    assert result.returncode == 0, result.stderr


def test_an_unreadable_secret_file_stops_start_up_with_one_line_naming_it(tmp_path):
    result = manage_check(SECRET_KEY_FILE=str(tmp_path / "missing"))

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY_FILE cannot be read: No such file or directory"
    ]


def test_a_bucket_without_its_keys_stops_start_up_with_one_line_naming_them():
    result = manage_check(BUCKET_NAME="phraseweaver-media")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: AWS_ACCESS_KEY_ID is not set (required with BUCKET_NAME)"
    ]


def test_without_a_bucket_media_live_on_the_file_system_under_media_root(monkeypatch):
    monkeypatch.delenv("BUCKET_NAME", raising=False)

    storage = media_storage(root="/srv/media", url_max_age=600)

    assert storage == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "/srv/media"},
    }


def test_the_variables_fly_storage_create_sets_select_a_private_bucket(monkeypatch, tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("the-secret-key")
    variables = {
        "BUCKET_NAME": "phraseweaver-media",
        "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev",
        "AWS_ACCESS_KEY_ID": "tid_key",
        "AWS_SECRET_ACCESS_KEY_FILE": str(key_file),
        "AWS_REGION": "auto",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    storage = media_storage(root="unused", url_max_age=600)

    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "phraseweaver-media"
    assert options["endpoint_url"] == "https://fly.storage.tigris.dev"
    assert (options["access_key"], options["secret_key"]) == ("tid_key", "the-secret-key")
    assert options["region_name"] == "auto"
    assert options["querystring_auth"] is True and options["querystring_expire"] == 600
    assert options["default_acl"] is None


def test_an_endpoint_that_is_not_http_stops_start_up_with_one_line_naming_it():
    result = manage_check(
        BUCKET_NAME="b", AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s", AWS_ENDPOINT_URL_S3="s3"
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: AWS_ENDPOINT_URL_S3 must be an http(s):// URL, not 's3'"
    ]
